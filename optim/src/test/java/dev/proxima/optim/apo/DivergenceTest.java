package dev.proxima.optim.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.function.BinaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * ρ's gradients against central finite differences in float64 (both arguments, random
 * shapes), and the masked KL against its definition: a KL over the scored rows only.
 */
class DivergenceTest {
    private static final DType F64 = DType.FLOAT64;

    /** Max relative error of autograd's d/d(after) and d/d(before) of ρ against central differences. */
    private static void checkGradients(BinaryOperator<Tensor> rho, Tensor after, Tensor before) {
        Tensor a = after.detach().requiresGrad(true), b = before.detach().requiresGrad(true);
        Tensor value;
        try (var on = Autograd.enableGrad()) {
            value = rho.apply(a, b);
        }
        List<Tensor> g = Autograd.grad(List.of(value), List.of(a, b), null, false, false, false);
        for (int which = 0; which < 2; which++) {
            double[] base = (which == 0 ? after : before).toDoubleArray(), got = g.get(which).toDoubleArray();
            int[] shape = after.shape();
            for (int i = 0; i < base.length; i++) {
                double h = 1e-6;
                double[] plus = base.clone(), minus = base.clone();
                plus[i] += h;
                minus[i] -= h;
                double fp, fm;
                try (var off = Autograd.noGrad()) {
                    Tensor p = Tensor.of(NDArray.of(plus, shape)), m = Tensor.of(NDArray.of(minus, shape));
                    fp = (which == 0 ? rho.apply(p, before) : rho.apply(after, p)).item();
                    fm = (which == 0 ? rho.apply(m, before) : rho.apply(after, m)).item();
                }
                double fd = (fp - fm) / (2 * h);
                assertEquals(fd, got[i], 1e-6 * Math.max(1, Math.abs(fd)), "d rho / d " + (which == 0 ? "after" : "before") + "[" + i + "]");
            }
        }
    }

    private static Tensor randn(Rng rng, int... shape) {
        return Tensor.randn(rng, F64, shape);
    }

    @Property(tries = 15)
    void everyDivergenceHasFiniteDifferenceGradients(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 2, max = 5) int cols,
                                                     @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Tensor after = randn(rng, rows, cols), before = randn(rng, rows, cols);
        for (Divergence d : Divergence.values()) checkGradients(d::apply, after, before);
    }

    /**
     * Second order, as APO's meta-gradient differentiates through ρ: the Hessian-vector product
     * ∇_a(∇_a ρ · v) against central differences of the gradient along v.
     */
    @Property(tries = 10)
    void everyDivergenceHasFiniteDifferenceSecondDerivatives(@ForAll @IntRange(min = 1, max = 3) int rows, @ForAll @IntRange(min = 2, max = 4) int cols,
                                                            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Tensor after = randn(rng, rows, cols), before = randn(rng, rows, cols), v = randn(rng, rows, cols);
        for (Divergence d : Divergence.values()) {
            Tensor a = after.detach().requiresGrad(true);
            Tensor hv;
            try (var on = Autograd.enableGrad()) {
                Tensor g = Autograd.grad(List.of(d.apply(a, before)), List.of(a), null, false, true, false).get(0);
                hv = Autograd.grad(List.of(g.mul(v).sum()), List.of(a), null, false, false, false).get(0);
            }
            double h = 1e-5;
            double[] plus = gradientAt(d, after.add(v.mul(h)), before), minus = gradientAt(d, after.sub(v.mul(h)), before), got = hv.toDoubleArray();
            for (int i = 0; i < got.length; i++) {
                double fd = (plus[i] - minus[i]) / (2 * h);
                assertEquals(fd, got[i], 1e-6 * Math.max(1, Math.abs(fd)), d + ": Hessian-vector product [" + i + "]");
            }
        }
    }

    private static double[] gradientAt(Divergence d, Tensor after, Tensor before) {
        Tensor a = after.detach().requiresGrad(true);
        Tensor value;
        try (var on = Autograd.enableGrad()) {
            value = d.apply(a, before);
        }
        return Autograd.grad(List.of(value), List.of(a), null, false, false, false).get(0).toDoubleArray();
    }

    /** BERNOULLI_KL is the KL between the Bernoulli distributions of the two logits, from its definition. */
    @Property(tries = 20)
    void bernoulliKlIsTheKlOfTheBernoullis(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Tensor after = randn(rng, n).mul(3), before = randn(rng, n).mul(3);
        double[] a = after.toDoubleArray(), b = before.toDoubleArray();
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double p = 1 / (1 + Math.exp(-b[i])), q = 1 / (1 + Math.exp(-a[i]));
            kl += p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
        }
        assertEquals(kl / n, Divergence.BERNOULLI_KL.apply(after, before).item(), 1e-12);
    }

    @Property(tries = 15)
    void maskedKlHasFiniteDifferenceGradients(@ForAll @IntRange(min = 1, max = 3) int batch, @ForAll @IntRange(min = 1, max = 4) int positions,
                                              @ForAll @IntRange(min = 2, max = 4) int classes, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Tensor after = randn(rng, batch, positions, classes), before = randn(rng, batch, positions, classes);
        double[] m = new double[batch * positions];
        for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < 0.5 ? 0 : 1;
        m[0] = 1; // at least one scored row
        Tensor mask = Tensor.of(NDArray.of(m, batch, positions));
        checkGradients((a, b) -> Divergence.klMasked(a, b, mask), after, before);
    }

    /** The masked KL is the plain KL of the scored rows alone; unscored rows change nothing. */
    @Property(tries = 20)
    void maskedKlIsTheKlOfTheScoredRows(@ForAll @IntRange(min = 2, max = 6) int rows, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        int classes = 3;
        double[] after = randn(rng, rows, classes).toDoubleArray(), before = randn(rng, rows, classes).toDoubleArray();
        double[] mask = new double[rows];
        int scored = 0;
        for (int r = 0; r < rows; r++) if (r == 0 || rng.nextDouble() < 0.5) { mask[r] = 1; scored++; }
        double[] a = new double[scored * classes], b = new double[scored * classes];
        for (int r = 0, k = 0; r < rows; r++) {
            if (mask[r] == 0) continue;
            System.arraycopy(after, r * classes, a, k * classes, classes);
            System.arraycopy(before, r * classes, b, k * classes, classes);
            k++;
        }
        try (var off = Autograd.noGrad()) {
            double masked = Divergence.klMasked(Tensor.of(NDArray.of(after, rows, classes)), Tensor.of(NDArray.of(before, rows, classes)),
                    Tensor.of(NDArray.of(mask, rows))).item();
            double plain = Divergence.KL.apply(Tensor.of(NDArray.of(a, scored, classes)), Tensor.of(NDArray.of(b, scored, classes))).item();
            assertEquals(plain, masked, 1e-12);
        }
    }

    @Test
    void squaredErrorIsTwiceTheHalfSquaredError() {
        Rng rng = new Rng(3);
        Tensor a = randn(rng, 4, 3), b = randn(rng, 4, 3);
        try (var off = Autograd.noGrad()) {
            assertEquals(2 * Divergence.HALF_SQUARED_ERROR.apply(a, b).item(), Divergence.SQUARED_ERROR.apply(a, b).item(), 1e-12);
        }
    }

    @Test
    void aMaskThatDoesNotFitOrScoresNothingIsAnError() {
        Rng rng = new Rng(4);
        Tensor a = randn(rng, 2, 3, 4), b = randn(rng, 2, 3, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Divergence.klMasked(a, b, Tensor.of(NDArray.zeros(F64, 2, 4))));
        assertEquals(true, e.getMessage().startsWith("Divergence.klMasked: mask has shape [2, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Divergence.klMasked(a, b, Tensor.of(NDArray.zeros(F64, 2, 3))));
    }
}
