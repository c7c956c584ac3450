package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen.Built;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.Gen.Layout;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Ref.Tol;
import dev.proxima.testkit.Ref;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** matmul against the triple loop: NumPy's 1-d and batch rules, transposed and strided operands. */
class MatmulPropertiesTest {
    static final Domain VALUES = Domain.range(-2, 2);

    /** Two operands: their layouts (views of the operand shapes) and how they were made. */
    record Operands(Layout a, Layout b) {
        public String toString() {
            return a + " @ " + b;
        }
    }

    /** Matrix sizes: 1, odd, around SIMD widths and GEMM block edges. */
    static Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 9)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(15, 16, 17, 31, 33, 40)));
    }

    /**
     * An operand of shape [..batch, rows, cols] given as a view: either built directly, or
     * as the transpose (mT) of a [..batch, cols, rows] array, the way users pass A^T.
     */
    static Arbitrary<Layout> operand(int[] batch, int rows, int cols) {
        int nb = batch.length;
        int[] s = Arrays.copyOf(batch, nb + 2);
        s[nb] = rows;
        s[nb + 1] = cols;
        int[] t = s.clone();
        t[nb] = cols;
        t[nb + 1] = rows;
        int[] swap = new int[nb + 2];
        for (int i = 0; i < swap.length; i++) swap[i] = i;
        swap[nb] = nb + 1;
        swap[nb + 1] = nb;
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Gen.layoutsOf(s, 1)),
                net.jqwik.api.Tuple.of(1, Gen.layoutsOf(t, 1).map(l -> (Layout) new Gen.Permuted(l, swap))));
    }

    @Provide
    Arbitrary<Operands> operands() {
        // Batch shapes: broadcast-compatible pairs of rank <= 2 with few elements.
        return Combinators.combine(Gen.broadcastShapes(2, 12), sizes(), sizes(), sizes(), Arbitraries.integers().between(0, 5))
                .flatAs((bs, m, k, n, vec) -> {
                    // vec 1: a is 1-d, 2: b is 1-d, 3: both; otherwise matrices with batch dims.
                    Arbitrary<Layout> a = vec == 1 || vec == 3 ? Gen.layoutsOf(new int[] {k}, 1) : operand(bs.a(), m, k);
                    Arbitrary<Layout> b = vec == 2 || vec == 3 ? Gen.layoutsOf(new int[] {k}, 1) : operand(bs.b(), k, n);
                    return Combinators.combine(a, b).as(Operands::new);
                });
    }

    @Provide
    Arbitrary<DType> floats() {
        return Gen.floatTypes();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    /**
     * The error of any summation order is bounded by about k * eps * sum_p |a_ip b_pj|; the
     * slack allows blocked, FMA and multi-threaded kernels while catching any wrong term.
     */
    static double slack(DType dt, int k) {
        double eps = dt == DType.FLOAT32 ? 0x1p-24 : 0x1p-53;
        return 2 * (k + 2) * eps;
    }

    @Property
    void matmulMatchesTheTripleLoop(@ForAll("operands") Operands ops, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built a = ops.a().build(dt, VALUES, seed), b = ops.b().build(dt, VALUES, seed + 1);
        NDArray c = mm(a.array(), b.array());
        assertEquals(dt, c.dtype());
        Ref[] want = Ref.matmul(a.ref(), b.ref());
        int k = a.ref().shape[a.ref().shape.length - 1];
        Ref.assertWithin("matmul " + ops, c, want[0], want[1], slack(dt, k), 0);
        // Inputs untouched.
        Ref.assertClose("left operand unchanged", a.array(), a.ref(), Tol.EXACT);
        Ref.assertClose("right operand unchanged", b.array(), b.ref(), Tol.EXACT);
    }

    /** Integer-valued operands make every product and sum exact: all kernels must agree bitwise. */
    @Property
    void matmulIsExactOnSmallIntegers(@ForAll("operands") Operands ops, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built a = ops.a().build(dt, Domain.ints(-3, 3), seed), b = ops.b().build(dt, Domain.ints(-3, 3), seed + 1);
        Ref.assertClose("matmul exact " + ops, mm(a.array(), b.array()), Ref.matmul(a.ref(), b.ref())[0], Tol.EXACT);
    }

    /** A view operand gives the same product as its contiguous copy. */
    @Property
    void matmulOfViewsEqualsMatmulOfCopies(@ForAll("operands") Operands ops, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built a = ops.a().build(dt, VALUES, seed), b = ops.b().build(dt, VALUES, seed + 1);
        NDArray onViews = mm(a.array(), b.array()), onCopies = mm(a.array().contiguous(), b.array().contiguous());
        Ref[] want = Ref.matmul(a.ref(), b.ref());
        int k = a.ref().shape[a.ref().shape.length - 1];
        Ref.assertWithin("views vs copies " + ops, onViews, new Ref(onCopies.shape(), onCopies.toDoubleArray()), want[1], 2 * slack(dt, k), 0);
    }

    record Chain(int[] batch, int m, int k, int l, int n) {}

    @Provide
    Arbitrary<Chain> chains() {
        return Combinators.combine(Gen.shapes(0, 2, 6), sizes(), sizes(), sizes(), sizes()).as(Chain::new);
    }

    /** (AB)C = A(BC) in float64 within the rounding of two products. */
    @Property
    void matmulIsAssociativeInFloat64(@ForAll("chains") Chain c, @ForAll("seeds") long seed) {
        int[] sa = shape(c.batch(), c.m(), c.k()), sb = shape(c.batch(), c.k(), c.l()), sc = shape(c.batch(), c.l(), c.n());
        Built a = new Gen.Dense(sa).build(DType.FLOAT64, VALUES, seed);
        Built b = new Gen.Dense(sb).build(DType.FLOAT64, VALUES, seed + 1);
        Built cc = new Gen.Dense(sc).build(DType.FLOAT64, VALUES, seed + 2);
        NDArray left = mm(mm(a.array(), b.array()), cc.array());
        NDArray right = mm(a.array(), mm(b.array(), cc.array()));
        // sum |a||b||c| bounds both: |A| |B| |C| with absolute values.
        Ref abs = Ref.matmul(Ref.matmul(a.ref().map(Math::abs), b.ref().map(Math::abs))[0], cc.ref().map(Math::abs))[0];
        Ref.assertWithin("associativity " + c, left, new Ref(right.shape(), right.toDoubleArray()), abs,
                4 * (c.k() + c.l() + 2) * 0x1p-53, 0);
    }

    static int[] shape(int[] batch, int r, int c) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }

    /** Multiplying by the identity (eye) changes nothing, bit for bit, from either side. */
    @Property
    void identityIsNeutral(@ForAll("operands") Operands ops, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built a = ops.a().build(dt, VALUES, seed);
        int[] s = a.ref().shape;
        int rows = s.length >= 2 ? s[s.length - 2] : 1, cols = s[s.length - 1];
        Ref.assertClose("A I " + ops.a(), mm(a.array(), NDArray.eye(cols, dt)), a.ref(), Tol.EXACT);
        if (s.length >= 2) Ref.assertClose("I A " + ops.a(), mm(NDArray.eye(rows, dt), a.array()), a.ref(), Tol.EXACT);
    }

    /** float32 @ float64 computes in float64. */
    @Property
    void mixedTypesPromote(@ForAll("operands") Operands ops, @ForAll("seeds") long seed) {
        Built a = ops.a().build(DType.FLOAT32, Domain.ints(-3, 3), seed), b = ops.b().build(DType.FLOAT64, VALUES, seed + 1);
        NDArray c = mm(a.array(), b.array());
        assertEquals(DType.FLOAT64, c.dtype());
        Ref[] want = Ref.matmul(a.ref(), b.ref());
        Ref.assertWithin("mixed " + ops, c, want[0], want[1], slack(DType.FLOAT64, a.ref().shape[a.ref().shape.length - 1]), 0);
    }

    @Property
    void vectorShapesFollowNumPy(@ForAll("seeds") long seed) {
        int k = 1 + (int) Math.floorMod(seed, 9L);
        NDArray v = NDArray.ones(DType.FLOAT64, k), m = NDArray.ones(DType.FLOAT64, 2, k, 3), w = NDArray.ones(DType.FLOAT64, 4, k);
        assertArrayEquals(new int[] {}, mm(v, v).shape());
        assertEquals(k, mm(v, v).item());
        assertArrayEquals(new int[] {2, 3}, mm(v, m).shape());
        assertArrayEquals(new int[] {4}, mm(w, v).shape());
        assertArrayEquals(new int[] {2, 3}, mm(m.mT(), v).shape());
    }

    /** The matrix product with NumPy's vector promotion, which lives in Tensor.matmul. */
    private static NDArray mm(NDArray a, NDArray b) {
        return Tensor.of(a).matmul(Tensor.of(b)).data();
    }
}
