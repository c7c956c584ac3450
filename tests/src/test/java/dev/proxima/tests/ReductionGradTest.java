package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Reductions (sum, prod, max, min over random axis sets, with and without keepdim), the
 * composites built on them (mean, var, std, logsumexp), and softmax / logSoftmax.
 */
class ReductionGradTest {

    enum Reduction { SUM, PROD, MAX, MIN, MEAN, VAR, STD, LOGSUMEXP }

    private static Tensor reduce(Reduction op, Tensor x, int[] axes, boolean keepdim) {
        return switch (op) {
            case SUM -> x.sum(axes, keepdim);
            case PROD -> x.prod(axes, keepdim);
            case MAX -> x.max(axes, keepdim);
            case MIN -> x.min(axes, keepdim);
            case MEAN -> x.mean(axes, keepdim);
            case VAR -> x.var(axes, keepdim, 0);
            case STD -> x.std(axes, keepdim, 1);
            case LOGSUMEXP -> x.logsumexp(axes, keepdim);
        };
    }

    private static double[] values(Reduction op, SplittableRandom r, int n) {
        return switch (op) {
            // prod: magnitudes near 1 keep the product moderate; away from 0 (zeros are a convention test)
            case PROD -> Gen.awayFromZero(r, n, 0.5, 1.5);
            // no ties for max/min; distinct values also keep var > 0 so std is smooth
            case MAX, MIN, VAR, STD -> Gen.distinct(r, n, 0.1);
            default -> Gen.uniform(r, n, -2, 2);
        };
    }

    /** std with correction 1 over a single element divides by zero: skip those groups. */
    private static boolean meaningful(Reduction op, int[] shape, int[] axes) {
        if (op != Reduction.STD && op != Reduction.VAR) return true;
        int[] ax = axes.length == 0 ? java.util.stream.IntStream.range(0, shape.length).toArray() : axes;
        int count = 1;
        for (int a : ax) count *= shape[a < 0 ? a + shape.length : a];
        return count >= 2;
    }

    @Property(tries = 200)
    void firstOrder(@ForAll Reduction op, @ForAll("shapes") int[] shape, @ForAll boolean keepdim,
                    @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] axes = GradInputs.axesSubset(shape.length, r);
        if (!meaningful(op, shape, axes)) return;
        Tensor x = GradInputs.f64(values(op, r, GradInputs.size(shape)), shape, layout);
        GradCheck.check(t -> reduce(op, t, axes, keepdim), x);
    }

    @Property(tries = 150)
    void secondOrder(@ForAll Reduction op, @ForAll("shapes") int[] shape, @ForAll boolean keepdim, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] axes = GradInputs.axesSubset(shape.length, r);
        if (!meaningful(op, shape, axes)) return;
        Tensor x = GradInputs.f64(values(op, r, GradInputs.size(shape)), shape, GradInputs.Layout.PERMUTED);
        // Squared so that even the linear reductions have a non-zero second derivative.
        GradCheck.checkSecondOrder(t -> reduce(op, t, axes, keepdim).square(), x);
    }

    @Property(tries = 150)
    void softmaxAndLogSoftmax(@ForAll("shapes") int[] shape, @ForAll boolean log, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        if (shape.length == 0) return;
        SplittableRandom r = new SplittableRandom(seed);
        int axis = r.nextInt(shape.length) - (r.nextInt(2) == 0 ? 0 : shape.length);
        Tensor x = GradInputs.f64(Gen.uniform(r, GradInputs.size(shape), -3, 3), shape, layout);
        Function<Tensor, Tensor> f = t -> log ? t.logSoftmax(axis) : t.softmax(axis);
        GradCheck.check(f, x);
        GradCheck.checkSecondOrder(f, x);
        // The fused primitive agrees with its composition, in value and in gradient.
        Function<Tensor, Tensor> composed = t -> {
            Tensor ls = t.sub(t.logsumexp(new int[] {axis}, true));
            return log ? ls : ls.exp();
        };
        assertTrue(f.apply(x).data().allClose(composed.apply(x).data(), 1e-12, 1e-12));
        Tensor c = GradInputs.f64(Gen.uniform(r, GradInputs.size(shape), -1, 1), shape);
        Tensor x1 = x.requiresGrad(true);
        Tensor g1 = Autograd.grad(f.apply(x1).mul(c).sum(), x1);
        Tensor x2 = x.requiresGrad(true);
        Tensor g2 = Autograd.grad(composed.apply(x2).mul(c).sum(), x2);
        assertTrue(g1.data().allClose(g2.data(), 1e-10, 1e-10), () -> g1 + " vs " + g2);
    }

    /**
     * The fused batchNorm primitive against the composition it replaces (PyTorch's
     * formula from reductions and broadcasts): values, first-order gradients (the fused
     * backward kernel) and second-order ones (its rule's composed path), on [N, C, ...] inputs
     * in any layout; and its gradient checks of order 1 and 2.
     */
    @Property(tries = 60)
    void batchNormAgainstComposition(@ForAll("shapes") int[] shape, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        if (shape.length < 2 || GradInputs.size(shape) / shape[1] < 2) return;
        SplittableRandom r = new SplittableRandom(seed);
        int c = shape[1];
        Tensor x = GradInputs.f64(Gen.uniform(r, GradInputs.size(shape), -3, 3), shape, layout);
        Tensor w = GradInputs.f64(Gen.uniform(r, c, 0.5, 2), new int[] {c}), b = GradInputs.f64(Gen.uniform(r, c, -1, 1), new int[] {c});
        int[] axes = new int[shape.length - 1], view = new int[shape.length];
        for (int i = 2; i < shape.length; i++) axes[i - 1] = i;
        java.util.Arrays.fill(view, 1);
        view[1] = c;
        Function<java.util.List<Tensor>, Tensor> fused = t -> Tensor.batchNorm(t.get(0), t.get(1), t.get(2), 1e-5);
        Function<java.util.List<Tensor>, Tensor> composed = t -> {
            Tensor centered = t.get(0).sub(t.get(0).mean(axes, true));
            Tensor scale = centered.square().mean(axes, true).add(1e-5).rsqrt().mul(t.get(1).reshape(view));
            return centered.mul(scale).add(t.get(2).reshape(view));
        };
        java.util.List<Tensor> in = java.util.List.of(x, w, b);
        assertTrue(fused.apply(in).data().allClose(composed.apply(in).data(), 1e-10, 1e-10));
        Tensor cot = GradInputs.f64(Gen.uniform(r, GradInputs.size(shape), -1, 1), shape);
        for (boolean second : new boolean[] {false, true}) {
            java.util.List<Tensor> a = java.util.List.of(x.requiresGrad(true), w.requiresGrad(true), b.requiresGrad(true));
            java.util.List<Tensor> e = java.util.List.of(x.requiresGrad(true), w.requiresGrad(true), b.requiresGrad(true));
            java.util.List<Tensor> ga = Autograd.grad(java.util.List.of(fused.apply(a)), a, java.util.List.of(cot), second, second, false);
            java.util.List<Tensor> ge = Autograd.grad(java.util.List.of(composed.apply(e)), e, java.util.List.of(cot), second, second, false);
            if (second) { // differentiate the gradients again: the composed rule against the composition's own rules
                ga = Autograd.grad(java.util.List.of(ga.get(0).square().sum().add(ga.get(1).square().sum())), a, null, false, false, true);
                ge = Autograd.grad(java.util.List.of(ge.get(0).square().sum().add(ge.get(1).square().sum())), e, null, false, false, true);
            }
            for (int i = 0; i < 3; i++) {
                if (ga.get(i) == null && ge.get(i) == null) continue;
                Tensor p = ga.get(i), q = ge.get(i);
                assertTrue(p.data().allClose(q.data(), 1e-8, 1e-8), () -> (second ? "second" : "first") + "-order gradient: " + p + " vs " + q);
            }
        }
        GradCheck.check(fused, in, GradCheck.Options.defaults());
        GradCheck.checkSecondOrder(fused, in, GradCheck.Options.defaults());
    }

    @Provide
    Arbitrary<int[]> shapes() {
        return GradInputs.shapes(0, 4);
    }
}
