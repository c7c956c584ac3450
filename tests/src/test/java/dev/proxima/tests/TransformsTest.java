package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** vjp / jvp / hvp / jacobian / hessian against identities and independent references. */
class TransformsTest {

    /**
     * A random composite of smooth ops on a [rows, cols] input; each block keeps the shape
     * [rows, cols] or turns it into another 2-d shape, so any chain is well formed. The
     * constants are drawn once, so the function is fixed.
     */
    static Function<Tensor, Tensor> randomComposite(SplittableRandom r, int depth) {
        List<Function<Tensor, Tensor>> blocks = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            int kind = r.nextInt(10);
            long s = r.nextInt(1 << 30);
            blocks.add(switch (kind) {
                case 0 -> Tensor::tanh;
                case 1 -> x -> x.sin().mul(x);
                case 2 -> x -> x.softmax(-1);
                case 3 -> x -> x.mT(); // transposes: the next block sees a view
                case 4 -> x -> x.matmul(constant(new SplittableRandom(s), x.shape(-1), 3)); // [r, c] -> [r, 3]
                case 5 -> x -> x.sub(x.mean(new int[] {0}, true)).square();
                case 6 -> x -> x.mul(constant(new SplittableRandom(s), 1, x.shape(-1))).exp();
                case 7 -> x -> Tensor.concat(0, x, x.slice(0, 0, x.shape(0), 2).sigmoid());
                case 8 -> x -> x.logsumexp(new int[] {1}, true).add(x.pad(0, 0, 0, 1).slice(1, 1, x.shape(1) + 1));
                default -> x -> x.sigmoid().log1p().div(x.square().add(1));
            });
        }
        return x -> {
            Tensor y = x;
            for (Function<Tensor, Tensor> b : blocks) y = b.apply(y);
            return y;
        };
    }

    static Tensor constant(SplittableRandom r, int... shape) {
        return GradInputs.f64(Gen.uniform(r, GradInputs.size(shape), -1, 1), shape);
    }

    @Property(tries = 100)
    void transpositionIdentity(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 4) int cols,
                               @ForAll @IntRange(min = 1, max = 5) int depth, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Function<Tensor, Tensor> f = randomComposite(r, depth);
        Tensor x = GradInputs.f64(Gen.uniform(r, rows * cols, -1, 1), new int[] {rows, cols}, layout);
        Tensor t = constant(r, rows, cols);
        int[] yShape = f.apply(x).shape();
        Tensor c = constant(r, yShape);
        Tensor vjp = Autograd.vjp(f, x, c)[1];
        Tensor jvp = Autograd.jvp(f, x, t)[1];
        assertArrayEquals(x.shape(), vjp.shape());
        assertArrayEquals(yShape, jvp.shape());
        double lhs = GradInputs.dot(t.toDoubleArray(), vjp.toDoubleArray());
        double rhs = GradInputs.dot(jvp.toDoubleArray(), c.toDoubleArray());
        assertEquals(lhs, rhs, 1e-10 * (1 + Math.abs(lhs)), "<t, vjp(c)> vs <jvp(t), c>");
        // And jvp itself against a central difference in the direction t.
        double h = 1e-6;
        double[] plus = f.apply(shifted(x, t, h)).toDoubleArray(), minus = f.apply(shifted(x, t, -h)).toDoubleArray();
        double[] jv = jvp.toDoubleArray();
        for (int i = 0; i < jv.length; i++) assertEquals((plus[i] - minus[i]) / (2 * h), jv[i], 1e-5 + 1e-4 * Math.abs(jv[i]));
    }

    private static Tensor shifted(Tensor x, Tensor t, double h) {
        return x.add(t.mul(h)).detach();
    }

    @Property(tries = 50)
    void hvpMatchesFiniteDifferencesOfTheGradient(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 4) int cols,
                                                  @ForAll @IntRange(min = 1, max = 4) int depth, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Function<Tensor, Tensor> g = randomComposite(r, depth);
        Tensor w = constant(r, g.apply(constant(new SplittableRandom(0), rows, cols)).shape());
        Function<Tensor, Tensor> f = x -> g.apply(x).mul(w).sum(); // scalar
        Tensor x = constant(r, rows, cols), v = constant(r, rows, cols);
        double[] hv = Autograd.hvp(f, x, v).toDoubleArray();
        double h = 1e-5;
        Function<Tensor, Tensor> grad = Autograd.grad(f);
        double[] gp = grad.apply(shifted(x, v, h)).toDoubleArray(), gm = grad.apply(shifted(x, v, -h)).toDoubleArray();
        for (int i = 0; i < hv.length; i++) assertEquals((gp[i] - gm[i]) / (2 * h), hv[i], 1e-5 + 1e-4 * Math.abs(hv[i]), "element " + i);
    }

    @Property(tries = 30)
    void hessianOfAQuadraticIsTheSymmetricPart(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] a = Gen.uniform(r, n * n, -2, 2);
        Tensor A = GradInputs.f64(a, n, n), b = constant(r, n), x = constant(r, n);
        Function<Tensor, Tensor> f = t -> t.matmul(A.matmul(t)).mul(0.5).add(b.matmul(t));
        double[] h = Autograd.hessian(f, x).toDoubleArray();
        assertArrayEquals(new int[] {n, n}, Autograd.hessian(f, x).shape());
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) assertEquals((a[i * n + j] + a[j * n + i]) / 2, h[i * n + j], 1e-12);
        // Its gradient is (A + A^T)/2 x + b.
        double[] g = Autograd.grad(f).apply(x).toDoubleArray(), xv = x.toDoubleArray(), bv = b.toDoubleArray();
        for (int i = 0; i < n; i++) {
            double e = bv[i];
            for (int j = 0; j < n; j++) e += (a[i * n + j] + a[j * n + i]) / 2 * xv[j];
            assertEquals(e, g[i], 1e-12);
        }
    }

    @Property(tries = 30)
    void jacobianOfALinearMapIsItsMatrix(@ForAll @IntRange(min = 1, max = 5) int m, @ForAll @IntRange(min = 1, max = 5) int n,
                                         @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] mv = Gen.uniform(r, m * n, -2, 2);
        Tensor M = GradInputs.f64(mv, new int[] {m, n}, layout);
        Tensor x = constant(r, n);
        Tensor j = Autograd.jacobian(t -> M.matmul(t), x);
        assertArrayEquals(new int[] {m, n}, j.shape());
        assertArrayEquals(mv, j.toDoubleArray(), 1e-12);
        // The same map written on a [n] -> [m] view: x^T M^T.
        assertArrayEquals(mv, Autograd.jacobian(t -> t.matmul(M.mT()), x).toDoubleArray(), 1e-12);
    }
    /**
     * valueAndGrad over a tree of two leaves: the value is f's, each gradient is the
     * single-tensor transform's with the other leaf held constant, and it holds even when
     * called under noGrad (a training step's caller may be in one); a non-scalar f is an error
     * naming the shape.
     */
    @Property(tries = 50)
    void valueAndGradOverATree(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 4) int cols,
                               @ForAll @IntRange(min = 1, max = 4) int depth, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Function<Tensor, Tensor> f = randomComposite(r, depth);
        Tensor a = constant(r, rows, cols), b = constant(r, rows, cols);
        Function<dev.proxima.autograd.Params, Tensor> loss = p -> f.apply(p.get("a").mul(p.get("b").tanh())).sum();
        dev.proxima.autograd.Params tree = dev.proxima.autograd.Params.of("a", a, "b", b);
        Autograd.ValueAndGrad vg;
        try (var off = Autograd.noGrad()) {
            vg = Autograd.valueAndGrad(loss, tree);
        }
        assertEquals(loss.apply(tree).item(), vg.loss(), 0);
        assertArrayEquals(Autograd.valueAndGrad(x -> f.apply(x.mul(b.tanh())).sum()).apply(a)[1].toDoubleArray(),
                vg.grads().get("a").toDoubleArray(), 1e-12);
        assertArrayEquals(Autograd.valueAndGrad(x -> f.apply(a.mul(x.tanh())).sum()).apply(b)[1].toDoubleArray(),
                vg.grads().get("b").toDoubleArray(), 1e-12);
        assertEquals(false, vg.value().requiresGrad());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Autograd.valueAndGrad(p -> Tensor.concat(0, p.get("a"), p.get("b")), tree));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("valueAndGrad") && e.getMessage().contains("[" + 2 * rows + ", " + cols + "]"),
                e.getMessage());
    }
}
