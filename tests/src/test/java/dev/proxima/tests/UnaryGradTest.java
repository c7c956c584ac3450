package dev.proxima.tests;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.UnaryOp;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.OpDomains;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Every unary primitive against central finite differences, first and second order. */
class UnaryGradTest {

    /** Points where the op is smooth (the shared table's {@code smooth} column). */
    static double[] domain(UnaryOp op, SplittableRandom r, int n) {
        return OpDomains.smooth(op).sample(r, DType.FLOAT64, n);
    }

    // Results are multiplied by a fixed non-trivial tensor so the cotangent reaching the op
    // is not uniform (GradCheck's cotangent is random already; this also makes the
    // second-order check see a product rule).
    private static Function<Tensor, Tensor> f(UnaryOp op) {
        return x -> x.map(op).mul(x.map(op).add(1.5));
    }

    @Property(tries = 150)
    void firstOrder(@ForAll UnaryOp op, @ForAll("shapes") int[] shape, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        double[] v = domain(op, new SplittableRandom(seed), GradInputs.size(shape));
        GradCheck.check(x -> x.map(op), GradInputs.f64(v, shape, layout));
        GradCheck.check(f(op), GradInputs.f64(v, shape, layout));
    }

    @Property(tries = 150)
    void secondOrder(@ForAll UnaryOp op, @ForAll("shapes") int[] shape, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        double[] v = domain(op, new SplittableRandom(seed), GradInputs.size(shape));
        GradCheck.checkSecondOrder(f(op), GradInputs.f64(v, shape, layout));
    }

    /** Deterministic sweep so that every op is checked on every run, whatever jqwik draws. */
    @Test
    void everyOpOnAFixedViewAndAPermutedInput() {
        for (UnaryOp op : UnaryOp.values()) {
            double[] v = domain(op, new SplittableRandom(op.ordinal()), 12);
            for (GradInputs.Layout layout : GradInputs.Layout.values()) {
                GradCheck.check(f(op), GradInputs.f64(v, new int[] {3, 4}, layout));
                GradCheck.checkSecondOrder(f(op), GradInputs.f64(v, new int[] {3, 4}, layout));
            }
            // The op applied to a view produced inside the graph.
            GradCheck.check(x -> x.mT().map(op).slice(0, 0, 4, 2), GradInputs.f64(v, 3, 4));
        }
    }

    @Provide
    Arbitrary<int[]> shapes() {
        return GradInputs.shapes(0, 3);
    }

}
