package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The conventions at singular points documented in Rules, one test each. */
class ConventionsTest {
    private static Tensor leaf(double... v) {
        return GradInputs.f64(v, v.length).requiresGrad(true);
    }

    private static double[] grad(Tensor y, Tensor x) {
        return Autograd.grad(y.sum(), x).toDoubleArray();
    }

    @Test
    void absHasZeroDerivativeAtZero() {
        Tensor x = leaf(-2, 0, 3);
        assertArrayEquals(new double[] {-1, 0, 1}, grad(x.abs(), x));
    }

    @Test
    void reluHasZeroDerivativeAtZero() {
        Tensor x = leaf(-2, 0, 3);
        assertArrayEquals(new double[] {0, 0, 1}, grad(x.relu(), x));
    }

    @Test
    void sqrtHasInfiniteDerivativeAtZero() {
        Tensor x = leaf(0, 4);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.25}, grad(x.sqrt(), x));
    }

    @Test
    void maximumAndMinimumSplitTiesEvenly() {
        Tensor a = leaf(1, 2, 3), b = leaf(3, 2, 1);
        List<Tensor> g = Autograd.grad(List.of(a.maximum(b).sum()), List.of(a, b), null, false, false, false);
        assertArrayEquals(new double[] {0, 0.5, 1}, g.get(0).toDoubleArray());
        assertArrayEquals(new double[] {1, 0.5, 0}, g.get(1).toDoubleArray());
        g = Autograd.grad(List.of(a.minimum(b).sum()), List.of(a, b), null, false, false, false);
        assertArrayEquals(new double[] {1, 0.5, 0}, g.get(0).toDoubleArray());
        assertArrayEquals(new double[] {0, 0.5, 1}, g.get(1).toDoubleArray());
    }

    @Test
    void maxAndMinReductionsSplitTiesEvenly() {
        Tensor x = leaf(1, 5, 5, 0, 5);
        assertArrayEquals(new double[] {0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3}, grad(x.max(), x), 1e-15);
        Tensor y = GradInputs.f64(new double[] {2, 0, 0, 7, 7, 9}, 2, 3).requiresGrad(true);
        // Row minima: 0 twice in row 0, 7 twice in row 1.
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0.5, 0.5, 0}, grad(y.min(new int[] {1}, false), y), 1e-15);
    }

    @Test
    void powerHasZeroExponentDerivativeAtZeroBase() {
        Tensor a = leaf(0, 2), b = leaf(2, 3);
        List<Tensor> g = Autograd.grad(List.of(a.pow(b).sum()), List.of(a, b), null, false, false, false);
        assertArrayEquals(new double[] {0, 12}, g.get(0).toDoubleArray(), 1e-12); // b a^(b-1)
        assertArrayEquals(new double[] {0, 8 * Math.log(2)}, g.get(1).toDoubleArray(), 1e-12); // a^b log a; 0 at a = 0
    }

    @Test
    void prodGradientIsExactWithOneZero() {
        Tensor x = leaf(2, 0, 3, 4);
        // d/dx_i prod = product of the others: only the zero's own entry is non-zero.
        assertArrayEquals(new double[] {0, 24, 0, 0}, grad(x.prod(), x));
        Tensor y = GradInputs.f64(new double[] {2, 0, 3, 1, 5, 2}, 2, 3).requiresGrad(true);
        assertArrayEquals(new double[] {0, 6, 0, 10, 2, 5}, grad(y.prod(new int[] {1}, false), y));
    }

    @Test
    void prodGradientIsExactWithTwoZeros() {
        Tensor x = leaf(2, 0, 3, 0);
        assertArrayEquals(new double[] {0, 0, 0, 0}, grad(x.prod(), x));
        // Second derivative with two zeros: d²/dx1 dx3 prod = 2·3 = 6, the rest of the Hessian row 0.
        Tensor g = Autograd.grad(x.prod(), List.of(x), true).get(0);
        double[] h1 = Autograd.grad(g.select(0, 1), x).toDoubleArray();
        assertArrayEquals(new double[] {0, 0, 0, 6}, h1);
    }

    /** prod is a polynomial, so finite differences are valid right at the zeros. */
    @Test
    void prodAtExactZerosPassesFirstAndSecondOrderChecks() {
        double[][] points = {{2, 0, 3, 1.5, -1, 2}, {2, 0, 3, 0, -1, 2}, {0, 0, 3, 0, -1, 2}, {0, 0, 0, 1, 0, 2}};
        for (double[] v : points) {
            Tensor x = GradInputs.f64(v, 2, 3);
            dev.proxima.autograd.GradCheck.check(t -> t.prod(), x);
            dev.proxima.autograd.GradCheck.checkSecondOrder(t -> t.prod(), x);
            dev.proxima.autograd.GradCheck.checkSecondOrder(t -> t.prod(new int[] {1}, false), x);
            dev.proxima.autograd.GradCheck.checkSecondOrder(t -> t.prod(new int[] {0}, true), x);
        }
    }

    @Test
    void signHasZeroGradient() {
        Tensor x = leaf(-1, 2);
        assertArrayEquals(new double[] {0, 0}, grad(x.sign().mul(x.sign()), x));
        assertEquals(0.0, Autograd.grad(x.sign().sum(), x).toDoubleArray()[0]);
    }
}
