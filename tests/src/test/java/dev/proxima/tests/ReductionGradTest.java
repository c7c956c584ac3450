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

    @Provide
    Arbitrary<int[]> shapes() {
        return GradInputs.shapes(0, 4);
    }
}
