package dev.proxima.tests;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** matmul: plain, batched, broadcast batch dimensions, 1-d operands, transposed views. */
class MatmulGradTest {
    private static final GradCheck.Options O = GradCheck.Options.defaults();
    private static final Function<List<Tensor>, Tensor> MATMUL = xs -> xs.get(0).matmul(xs.get(1));
    // tanh makes the second derivative in each operand non-zero (matmul alone is bilinear).
    private static final Function<List<Tensor>, Tensor> MATMUL_TANH = xs -> xs.get(0).matmul(xs.get(1)).tanh();

    private static List<Tensor> inputs(int[][] shapes, GradInputs.Layout la, GradInputs.Layout lb, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return List.of(GradInputs.f64(Gen.uniform(r, GradInputs.size(shapes[0]), -1, 1), shapes[0], la),
                GradInputs.f64(Gen.uniform(r, GradInputs.size(shapes[1]), -1, 1), shapes[1], lb));
    }

    @Property(tries = 150)
    void firstAndSecondOrder(@ForAll("operands") int[][] shapes, @ForAll GradInputs.Layout la, @ForAll GradInputs.Layout lb, @ForAll long seed) {
        List<Tensor> in = inputs(shapes, la, lb, seed);
        GradCheck.check(MATMUL, in, O);
        GradCheck.checkSecondOrder(MATMUL_TANH, in, O);
    }

    @Test
    void fixedCasesOfEveryKind() {
        int[][][] cases = {
                {{3, 4}, {4, 2}}, {{2, 3, 4}, {2, 4, 2}}, {{1, 3, 2}, {3, 2, 4}}, {{3, 2}, {2, 2, 3}},
                {{4}, {4, 3}}, {{3, 4}, {4}}, {{4}, {4}}, {{2, 3, 4}, {4}}, {{4}, {2, 4, 3}}, {{2, 1, 2, 3}, {3, 3, 2}}};
        long seed = 1;
        for (int[][] c : cases) {
            List<Tensor> in = inputs(c, GradInputs.Layout.PERMUTED, GradInputs.Layout.STRIDED, seed++);
            GradCheck.check(MATMUL, in, O);
            GradCheck.checkSecondOrder(MATMUL_TANH, in, O);
        }
        // A transposed operand made inside the graph: x x^T.
        GradCheck.check(x -> x.matmul(x.mT()), inputs(new int[][] {{2, 3, 4}, {1}}, GradInputs.Layout.CONTIGUOUS, GradInputs.Layout.CONTIGUOUS, 9).get(0));
        GradCheck.checkSecondOrder(x -> x.mT().matmul(x).sin(), inputs(new int[][] {{3, 4}, {1}}, GradInputs.Layout.STRIDED, GradInputs.Layout.CONTIGUOUS, 10).get(0));
    }

    /**
     * Operand shapes: m, k, n in 1..4, each side 1-d (when it can be), 2-d or batched, with
     * batch dimensions that broadcast (size 1 or missing on one side).
     */
    @Provide
    Arbitrary<int[][]> operands() {
        Arbitrary<Integer> d = Arbitraries.integers().between(1, 4);
        return Combinators.combine(d, d, d, Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 3), Arbitraries.longs())
                .as((m, k, n, ka, kb, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int[] batch = {1 + r.nextInt(3), 1 + r.nextInt(2)};
                    return new int[][] {side(ka, new int[] {m, k}, batch, r, true), side(kb, new int[] {k, n}, batch, r, false)};
                })
                .filter(s -> GradInputs.size(s[0]) <= GradInputs.MAX_ELEMS && GradInputs.size(s[1]) <= GradInputs.MAX_ELEMS);
    }

    /** kind 0: 1-d, 1: matrix, 2: one batch dim, 3: two batch dims; batch dims sometimes 1. */
    private static int[] side(int kind, int[] mat, int[] batch, SplittableRandom r, boolean left) {
        if (kind == 0) return new int[] {left ? mat[1] : mat[0]};
        int nb = kind - 1;
        int[] s = new int[nb + 2];
        for (int i = 0; i < nb; i++) s[i] = r.nextInt(3) == 0 ? 1 : batch[batch.length - nb + i];
        s[nb] = mat[0];
        s[nb + 1] = mat[1];
        return s;
    }
}
