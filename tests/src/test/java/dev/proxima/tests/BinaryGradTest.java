package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.OpDomains;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Every binary primitive and where, with random broadcast-compatible shapes and view inputs. */
class BinaryGradTest {
    private static final GradCheck.Options O = GradCheck.Options.defaults();

    /**
     * Values for (a, b) from the shared table's {@code smooth} column; maximum, minimum and
     * comparisons get no ties anywhere.
     */
    static double[][] domain(BinaryOp op, SplittableRandom r, int na, int nb) {
        return switch (op) {
            case MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> Gen.split(Gen.distinct(r, na + nb, 0.1), na, nb);
            default -> new double[][] {OpDomains.smooth(op).a().sample(r, DType.FLOAT64, na), OpDomains.smooth(op).b().sample(r, DType.FLOAT64, nb)};
        };
    }

    private static Function<List<Tensor>, Tensor> f(BinaryOp op) {
        // The square makes the second-order check see the op's first derivative squared too.
        return xs -> xs.get(0).zip(op, xs.get(1)).square().add(xs.get(0).zip(op, xs.get(1)));
    }

    private static List<Tensor> inputs(BinaryOp op, int[][] shapes, GradInputs.Layout la, GradInputs.Layout lb, long seed) {
        double[][] v = domain(op, new SplittableRandom(seed), GradInputs.size(shapes[0]), GradInputs.size(shapes[1]));
        return List.of(GradInputs.f64(v[0], shapes[0], la), GradInputs.f64(v[1], shapes[1], lb));
    }

    @Property(tries = 200)
    void firstOrderWithBroadcasting(@ForAll BinaryOp op, @ForAll("pairs") int[][] shapes,
                                    @ForAll GradInputs.Layout la, @ForAll GradInputs.Layout lb, @ForAll long seed) {
        GradCheck.check(f(op), inputs(op, shapes, la, lb, seed), O);
    }

    @Property(tries = 150)
    void secondOrderWithBroadcasting(@ForAll BinaryOp op, @ForAll("pairs") int[][] shapes,
                                     @ForAll GradInputs.Layout la, @ForAll long seed) {
        GradCheck.checkSecondOrder(f(op), inputs(op, shapes, la, GradInputs.Layout.CONTIGUOUS, seed), O);
    }

    /** Deterministic sweep: every op, a two-sided broadcast, on every run. */
    @Test
    void everyOpWithTwoSidedBroadcast() {
        int[][] shapes = {{3, 1, 4}, {2, 1}};
        for (BinaryOp op : BinaryOp.values()) {
            List<Tensor> in = inputs(op, shapes, GradInputs.Layout.STRIDED, GradInputs.Layout.PERMUTED, op.ordinal());
            GradCheck.check(f(op), in, O);
            GradCheck.checkSecondOrder(f(op), in, O);
        }
    }

    @Test
    void comparisonsGiveMasksWithoutGradient() {
        Tensor a = GradInputs.f64(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor m = a.gt(GradInputs.f64(new double[] {2}, 1));
        assertArrayEquals(new double[] {0, 0, 1}, m.toDoubleArray());
        org.junit.jupiter.api.Assertions.assertFalse(m.requiresGrad());
    }

    @Property(tries = 100)
    void whereRoutesTheGradientByTheMask(@ForAll("triples") int[][] shapes, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] mask = new double[GradInputs.size(shapes[0])];
        for (int i = 0; i < mask.length; i++) mask[i] = r.nextInt(2);
        Tensor cond = GradInputs.f64(mask, shapes[0], layout);
        List<Tensor> ab = List.of(GradInputs.f64(Gen.uniform(r, GradInputs.size(shapes[1]), -2, 2), shapes[1], layout),
                GradInputs.f64(Gen.uniform(r, GradInputs.size(shapes[2]), -2, 2), shapes[2]));
        Function<List<Tensor>, Tensor> f = xs -> Tensor.where(cond, xs.get(0).sin(), xs.get(1).square());
        GradCheck.check(f, ab, O);
        GradCheck.checkSecondOrder(f, ab, O);
    }

    @Provide
    Arbitrary<int[][]> pairs() {
        return GradInputs.broadcastPair();
    }

    @Provide
    Arbitrary<int[][]> triples() {
        // A pair, and a third shape broadcasting with both: the first one's last dims.
        return GradInputs.broadcastPair().map(p -> new int[][] {p[0], p[1],
                java.util.Arrays.copyOfRange(p[0], Math.max(0, p[0].length - 1), p[0].length)});
    }

}
