package dev.proxima.tests;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.UnaryOp;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Every unary primitive against central finite differences, first and second order. */
class UnaryGradTest {

    /** Points in the op's domain, away from its kinks and singularities. */
    static double[] domain(UnaryOp op, Rng r, int n) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> Gen.uniform(r, n, 0.2, 3);
            case LOG1P -> Gen.uniform(r, n, -0.7, 3);
            case RECIPROCAL, ABS, RELU, SIGN -> Gen.awayFromZero(r, n, 0.1, 2);
            case EXP, EXPM1 -> Gen.uniform(r, n, -2, 2);
            default -> Gen.uniform(r, n, -3, 3);
        };
    }

    // Results are multiplied by a fixed non-trivial tensor so the cotangent reaching the op
    // is not uniform (GradCheck's cotangent is random already; this also makes the
    // second-order check see a product rule).
    private static Function<Tensor, Tensor> f(UnaryOp op) {
        return x -> x.map(op).mul(x.map(op).add(1.5));
    }

    @Property(tries = 150)
    void firstOrder(@ForAll UnaryOp op, @ForAll("shapes") int[] shape, @ForAll Gen.Layout layout, @ForAll long seed) {
        double[] v = domain(op, new Rng(seed), Gen.size(shape));
        GradCheck.check(x -> x.map(op), Gen.f64(v, shape, layout));
        GradCheck.check(f(op), Gen.f64(v, shape, layout));
    }

    @Property(tries = 150)
    void secondOrder(@ForAll UnaryOp op, @ForAll("shapes") int[] shape, @ForAll Gen.Layout layout, @ForAll long seed) {
        double[] v = domain(op, new Rng(seed), Gen.size(shape));
        GradCheck.checkSecondOrder(f(op), Gen.f64(v, shape, layout));
    }

    /** Deterministic sweep so that every op is checked on every run, whatever jqwik draws. */
    @Test
    void everyOpOnAFixedViewAndAPermutedInput() {
        for (UnaryOp op : UnaryOp.values()) {
            double[] v = domain(op, new Rng(op.ordinal()), 12);
            for (Gen.Layout layout : Gen.Layout.values()) {
                GradCheck.check(f(op), Gen.f64(v, new int[] {3, 4}, layout));
                GradCheck.checkSecondOrder(f(op), Gen.f64(v, new int[] {3, 4}, layout));
            }
            // The op applied to a view produced inside the graph.
            GradCheck.check(x -> x.mT().map(op).slice(0, 0, 4, 2), Gen.f64(v, 3, 4));
        }
    }

    @Provide
    Arbitrary<int[]> shapes() {
        return Gen.shapes(0, 3);
    }

}
