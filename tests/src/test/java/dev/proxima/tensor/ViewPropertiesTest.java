package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.testkit.Gen.Built;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.Gen.Layout;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Ref.Tol;
import dev.proxima.testkit.Ref;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Views against index arithmetic: every recipe the generators build, reshape (view or copy),
 * permute, slice, select, expand, squeeze/unsqueeze, contiguous and get(...).
 */
class ViewPropertiesTest {
    static final Domain VALUES = Domain.range(-100, 100);

    @Provide
    Arbitrary<Layout> layouts() {
        return Gen.layouts();
    }

    @Provide
    Arbitrary<int[]> matrixShapes() {
        return Gen.shapes(2, 4, Gen.MAX_NUMEL / 2);
    }

    @Provide
    Arbitrary<DType> types() {
        return Arbitraries.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.BFLOAT16);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    static Domain domain(DType dt) {
        return dt == DType.INT32 ? Domain.ints(-1000, 1000) : VALUES;
    }

    /** Every generated recipe shows exactly the values index arithmetic says, in any dtype. */
    @Property
    void viewsShowTheReferenceValues(@ForAll("layouts") Layout layout, @ForAll("types") DType dt, @ForAll("seeds") long seed) {
        Built x = layout.build(dt, domain(dt), seed);
        assertEquals(dt, x.array().dtype());
        assertArrayEquals(layout.shape(), x.array().shape(), "shape of " + layout);
        Ref.assertClose(layout.toString(), x.array(), x.ref(), Tol.EXACT);
        assertEquals(x.ref().size(), x.array().size());
        assertEquals(x.ref().shape.length, x.array().ndim());
        if (dt == DType.FLOAT32) assertArrayEquals(floats(x.ref().v), x.array().toFloatArray());
        if (dt == DType.INT32) assertArrayEquals(Arrays.stream(x.ref().v).mapToInt(v -> (int) v).toArray(), x.array().toIntArray());
    }

    static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    @Property
    void getReadsOneElementWithNegativeIndices(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        Built x = layout.build(DType.FLOAT64, VALUES, seed);
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = x.ref().shape;
        for (int t = 0; t < 5; t++) {
            int[] idx = new int[s.length], spelled = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                idx[i] = r.nextInt(s[i]);
                spelled[i] = r.nextBoolean() ? idx[i] : idx[i] - s[i];
            }
            assertEquals(x.ref().at(idx), x.array().get(spelled), "get" + Arrays.toString(spelled) + " of " + layout);
        }
    }

    @Property
    void contiguousKeepsValuesAndIsContiguous(@ForAll("layouts") Layout layout, @ForAll("types") DType dt, @ForAll("seeds") long seed) {
        Built x = layout.build(dt, domain(dt), seed);
        NDArray c = x.array().contiguous();
        assertTrue(c.isContiguous(), "contiguous() of " + layout);
        assertEquals(dt, c.dtype());
        Ref.assertClose("contiguous() of " + layout, c, x.ref(), Tol.EXACT);
        // An already contiguous array is returned as is.
        assertSame(c, c.contiguous());
        if (layout.dense()) assertSame(x.array(), c);
        // Row-major strides for a contiguous result.
        int[] st = c.strides(), sh = c.shape();
        int expect = 1;
        for (int i = sh.length - 1; i >= 0; i--) {
            if (sh[i] != 1) assertEquals(expect, st[i], "stride " + i + " of " + Arrays.toString(sh));
            expect *= sh[i];
        }
    }

    // ---- reshape ----------------------------------------------------------------------------

    /** A layout and another shape with the same number of elements (one entry maybe -1). */
    record Reshape(Layout layout, int[] target, boolean infer) {
        public String toString() {
            return layout + ".reshape" + Arrays.toString(target) + (infer ? " (one -1)" : "");
        }
    }

    /** Shapes with exactly n elements: n's prime factors dealt to 1..4 axes, plus up to two size-1 axes. */
    static Arbitrary<int[]> shapesWithCount(int n) {
        List<Integer> primes = new ArrayList<>();
        int m = n;
        for (int p = 2; p * p <= m; p++) while (m % p == 0) { primes.add(p); m /= p; }
        if (m > 1) primes.add(m);
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(0, 2), Arbitraries.longs())
                .as((k, ones, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int[] s = new int[k];
                    Arrays.fill(s, 1);
                    for (int p : primes) s[r.nextInt(k)] *= p;
                    List<Integer> dims = new ArrayList<>();
                    for (int d : s) dims.add(d);
                    for (int e = 0; e < ones; e++) dims.add(r.nextInt(dims.size() + 1), 1);
                    return dims.stream().mapToInt(Integer::intValue).toArray();
                });
    }

    @Provide
    Arbitrary<Reshape> reshapes() {
        return Gen.layouts().flatMap(l -> Combinators.combine(shapesWithCount(Ref.count(l.shape())), Arbitraries.integers().between(-1, 4))
                .as((t, inferAt) -> {
                    int[] target = t.clone();
                    boolean infer = inferAt >= 0 && inferAt < target.length;
                    if (infer) target[inferAt] = -1;
                    return new Reshape(l, target, infer);
                }));
    }

    /** Row-major values survive reshape from any view; contiguous input gives a view of its storage. */
    @Property
    void reshapeKeepsRowMajorOrder(@ForAll("reshapes") Reshape r, @ForAll("seeds") long seed) {
        Built x = r.layout().build(DType.FLOAT64, VALUES, seed);
        NDArray y = x.array().reshape(r.target());
        int[] resolved = r.target().clone();
        if (r.infer()) {
            int known = 1, at = -1;
            for (int i = 0; i < resolved.length; i++) if (resolved[i] == -1) at = i; else known *= resolved[i];
            resolved[at] = x.ref().size() / known;
        }
        Ref.assertClose(r.toString(), y, x.ref().reshape(resolved), Tol.EXACT);
        if (x.array().isContiguous()) assertSame(x.array().storage(), y.storage(), "reshape of a contiguous array is a view: " + r);
        // And back again.
        Ref.assertClose(r + " and back", y.reshape(x.ref().shape), x.ref(), Tol.EXACT);
        Ref.assertClose(r + " flatten", x.array().flatten(), x.ref().reshape(x.ref().size()), Tol.EXACT);
    }

    /** Slicing rows (the outer axis) keeps the inner block contiguous: merging inner axes must not copy. */
    @Property
    void reshapeOfRowSliceIsAView(@ForAll("matrixShapes") int[] s, @ForAll("seeds") long seed) {
        int[] base = s.clone();
        base[0] = 2 * s[0] + 1;
        Built x = new Gen.Dense(base).build(DType.FLOAT64, VALUES, seed);
        NDArray rows = x.array().slice(0, 1, base[0], 2); // every other row: not contiguous
        int inner = 1;
        for (int i = 1; i < s.length; i++) inner *= s[i];
        NDArray merged = rows.reshape(s[0], inner);
        assertSame(x.array().storage(), merged.storage(), "merging contiguous inner axes of a row slice needs no copy");
        Ref.assertClose("row slice reshaped", merged, x.ref().slice(0, 1, base[0], 2).reshape(s[0], inner), Tol.EXACT);
    }

    @Example
    void reshapeOfATransposeCopies() {
        NDArray a = NDArray.arange(6).reshape(2, 3), t = a.mT();
        NDArray flat = t.reshape(6);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, flat.toFloatArray());
        assertNotSame(a.storage(), flat.storage(), "no strides can view a transpose as 1-d");
        // splitting an axis of a transpose is still a view
        NDArray at = NDArray.arange(12).reshape(3, 4), split = at.mT().reshape(2, 2, 3);
        assertSame(at.storage(), split.storage());
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, split.toFloatArray());
    }

    // ---- permute, transpose, slice, select, expand, squeeze ------------------------------------

    record Axes(Layout layout, int[] perm, int a, int b) {
        public String toString() {
            return layout + " perm " + Arrays.toString(perm) + " axes " + a + ", " + b;
        }
    }

    @Provide
    Arbitrary<Axes> axes() {
        return Gen.shapes(1, 4, Gen.MAX_NUMEL).flatMap(s -> Gen.layoutsOf(s, 1)).flatMap(l -> {
            int n = l.shape().length;
            return Combinators.combine(Gen.permutations(n), Gen.axes(n), Gen.axes(n)).as((p, a, b) -> new Axes(l, p, a, b));
        });
    }

    @Property
    void permuteAndTransposeMoveAxes(@ForAll("axes") Axes c, @ForAll("seeds") long seed) {
        Built x = c.layout().build(DType.FLOAT64, VALUES, seed);
        Ref.assertClose("permute " + c, x.array().permute(c.perm()), x.ref().permute(c.perm()), Tol.EXACT);
        int n = x.ref().shape.length;
        int[] swap = new int[n];
        for (int i = 0; i < n; i++) swap[i] = i;
        int a = c.a() < 0 ? c.a() + n : c.a(), b = c.b() < 0 ? c.b() + n : c.b();
        swap[a] = b;
        swap[b] = a;
        NDArray t = x.array().transpose(c.a(), c.b());
        Ref.assertClose("transpose " + c, t, x.ref().permute(swap), Tol.EXACT);
        assertSame(x.array().storage(), t.storage(), "transpose is a view");
        // transposing twice is the identity
        Ref.assertClose("transpose twice " + c, t.transpose(c.a(), c.b()), x.ref(), Tol.EXACT);
        if (n >= 2) {
            int[] last = new int[n];
            for (int i = 0; i < n; i++) last[i] = i;
            last[n - 2] = n - 1;
            last[n - 1] = n - 2;
            Ref.assertClose("mT " + c, x.array().mT(), x.ref().permute(last), Tol.EXACT);
        }
    }

    record SliceCase(Layout layout, int axis, int start, int end, int step) {
        public String toString() {
            return layout + ".slice(" + axis + ", " + start + ", " + end + ", " + step + ")";
        }
    }

    /** Any bounds, including negative and far out of range, and steps 1 to 5. */
    @Provide
    Arbitrary<SliceCase> slices() {
        return Gen.shapes(1, 4, Gen.MAX_NUMEL).flatMap(s -> Gen.layoutsOf(s, 1)).flatMap(l -> {
            int n = l.shape().length;
            return Gen.axes(n).flatMap(ax -> {
                int len = l.shape()[ax < 0 ? ax + n : ax];
                Arbitrary<Integer> bound = Arbitraries.integers().between(-len - 3, len + 3);
                return Combinators.combine(bound, bound, Arbitraries.integers().between(1, 5))
                        .as((st, en, step) -> new SliceCase(l, ax, st, en, step));
            });
        });
    }

    @Property
    void sliceFollowsPythonSemantics(@ForAll("slices") SliceCase c, @ForAll("seeds") long seed) {
        Built x = c.layout().build(DType.FLOAT64, VALUES, seed);
        NDArray s = x.array().slice(c.axis(), c.start(), c.end(), c.step());
        Ref.assertClose(c.toString(), s, x.ref().slice(c.axis(), c.start(), c.end(), c.step()), Tol.EXACT);
        assertSame(x.array().storage(), s.storage(), "slice is a view");
        // An op on the (possibly empty) slice works and agrees with the reference.
        Ref.assertClose(c + " neg", s.neg(), x.ref().slice(c.axis(), c.start(), c.end(), c.step()).map(v -> -v), Tol.EXACT);
    }

    @Property
    void selectRemovesTheAxis(@ForAll("slices") SliceCase c, @ForAll("seeds") long seed) {
        Built x = c.layout().build(DType.FLOAT64, VALUES, seed);
        int n = x.ref().shape.length, a = c.axis() < 0 ? c.axis() + n : c.axis(), len = x.ref().shape[a];
        int index = Math.floorMod(c.start(), len) - (c.step() % 2 == 0 ? len : 0); // both spellings
        NDArray s = x.array().select(c.axis(), index);
        assertEquals(n - 1, s.ndim());
        Ref.assertClose("select(" + c.axis() + ", " + index + ") of " + c.layout(), s, x.ref().select(c.axis(), index), Tol.EXACT);
    }

    @Property
    void expandBroadcastsWithoutCopying(@ForAll("pairs") Gen.BroadcastShapes bs, @ForAll("seeds") long seed) {
        for (int[] in : new int[][] {bs.a(), bs.b()}) {
            Built x = new Gen.Dense(in).build(DType.FLOAT64, VALUES, seed);
            NDArray e = x.array().expand(bs.out());
            assertSame(x.array().storage(), e.storage());
            Ref.assertClose("expand " + Arrays.toString(in) + " to " + Arrays.toString(bs.out()), e, x.ref().expand(bs.out()), Tol.EXACT);
            Ref.assertClose("broadcastTo", x.array().broadcastTo(bs.out()), x.ref().expand(bs.out()), Tol.EXACT);
            // -1 keeps a dimension
            int[] keep = bs.out().clone();
            int lead = keep.length - in.length;
            for (int i = lead; i < keep.length; i++) if (in[i - lead] == keep[i]) keep[i] = -1;
            Ref.assertClose("expand with -1", x.array().expand(keep), x.ref().expand(bs.out()), Tol.EXACT);
            // Expanded dims have stride 0: elements are really shared.
            int[] st = e.strides();
            for (int i = 0; i < st.length; i++) if (i < lead || (in[i - lead] == 1 && bs.out()[i] != 1)) assertEquals(0, st[i]);
        }
    }

    @Provide
    Arbitrary<Gen.BroadcastShapes> pairs() {
        return Gen.broadcastShapes();
    }

    @Property
    void squeezeAndUnsqueeze(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        Built x = layout.build(DType.FLOAT64, VALUES, seed);
        int[] s = x.ref().shape;
        int n = s.length;
        int[] noOnes = Arrays.stream(s).filter(d -> d != 1).toArray();
        NDArray q = x.array().squeeze();
        Ref.assertClose("squeeze() of " + layout, q, x.ref().reshape(noOnes), Tol.EXACT);
        // squeezing the size-1 axes one at a time (negative spelling) gives the same
        List<Integer> ones = new ArrayList<>();
        for (int i = 0; i < n; i++) if (s[i] == 1) ones.add(i - n);
        Ref.assertClose("squeeze(axes) of " + layout, x.array().squeeze(ones.stream().mapToInt(Integer::intValue).toArray()),
                x.ref().reshape(noOnes), Tol.EXACT);
        for (int at = -n - 1; at <= n; at++) {
            int pos = at < 0 ? at + n + 1 : at;
            int[] t = new int[n + 1];
            for (int i = 0, j = 0; i <= n; i++) t[i] = i == pos ? 1 : s[j++];
            NDArray u = x.array().unsqueeze(at);
            Ref.assertClose("unsqueeze(" + at + ") of " + layout, u, x.ref().reshape(t), Tol.EXACT);
            assertSame(x.array().storage(), u.storage());
            Ref.assertClose("unsqueeze then squeeze", u.squeeze(at), x.ref(), Tol.EXACT);
        }
    }

    // ---- zero-size arrays ---------------------------------------------------------------------

    /** Zero-size arrays in every layout: ops run (doing nothing) and shapes come out right. */
    @Example
    void zeroSizeArraysThroughViewsAndOps() {
        NDArray e = NDArray.zeros(DType.FLOAT64, 5, 0);
        NDArray t = e.mT(); // [0, 5] with strides that do not merge
        assertArrayEquals(new int[] {0, 5}, t.shape());
        assertEquals(0, t.contiguous().size());
        assertEquals(0, t.toDoubleArray().length);
        assertArrayEquals(new int[] {0, 5}, t.exp().shape());
        assertArrayEquals(new int[] {0, 5}, t.add(NDArray.ones(DType.FLOAT64, 5)).shape());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0}, t.sum(0).toDoubleArray());
        assertArrayEquals(new int[] {0, 7}, t.matmul(NDArray.ones(DType.FLOAT64, 5, 7)).shape());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                NDArray.zeros(DType.FLOAT64, 3, 0).matmul(NDArray.ones(DType.FLOAT64, 0, 4)).toDoubleArray());
        NDArray sliced = NDArray.arange(12).reshape(3, 4).mT().slice(1, 2, 1); // [4, 0]
        assertArrayEquals(new int[] {4, 0}, sliced.shape());
        assertEquals(0, sliced.sqrt().size());
        assertArrayEquals(new int[] {0}, NDArray.arange(0).shape());
        assertArrayEquals(new int[] {2, 0, 3}, NDArray.zeros(2, 3, 0).permute(0, 2, 1).contiguous().shape());
    }
}
