package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Reductions, arg-reductions, softmax and logsumexp against plain loops, over random axis sets. */
class ReductionPropertiesTest {

    /** A layout and a set of its axes (empty: all). */
    record Reduction(Layout layout, int[] axes, boolean keepdim) {
        public String toString() {
            return layout + " over " + Arrays.toString(axes) + (keepdim ? " keepdim" : "");
        }
    }

    /** A layout of rank >= 1 and one of its axes. */
    record AlongAxis(Layout layout, int axis, boolean keepdim) {
        public String toString() {
            return layout + " along " + axis + (keepdim ? " keepdim" : "");
        }
    }

    @Provide
    Arbitrary<Reduction> reductions() {
        return Gen.layouts().flatMap(l -> Combinators.combine(Gen.axisSets(l.shape().length), Arbitraries.of(true, false))
                .as((ax, keep) -> new Reduction(l, ax, keep)));
    }

    @Provide
    Arbitrary<AlongAxis> lanes() {
        return Gen.shapes(1, 4, Gen.MAX_NUMEL).flatMap(s -> Gen.layoutsOf(s, 2)).flatMap(l ->
                Combinators.combine(Gen.axes(l.shape().length), Arbitraries.of(true, false)).as((a, k) -> new AlongAxis(l, a, k)));
    }

    @Provide
    Arbitrary<DType> floats() {
        return Gen.floatTypes();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    // ---- references -------------------------------------------------------------------------

    static double sum(double[] g) {
        double s = 0;
        for (double x : g) s += x;
        return s;
    }

    static double sumAbs(double[] g) {
        double s = 0;
        for (double x : g) s += Math.abs(x);
        return s;
    }

    static double prod(double[] g) {
        double p = 1;
        for (double x : g) p *= x;
        return p;
    }

    static double max(double[] g) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : g) if (x > m) m = x;
        return m;
    }

    static double min(double[] g) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : g) if (x < m) m = x;
        return m;
    }

    static double mean(double[] g) {
        return sum(g) / g.length;
    }

    /** Two-pass variance: sum of squared deviations over (n - correction). */
    static double var(double[] g, int correction) {
        double m = mean(g), s = 0;
        for (double x : g) s += (x - m) * (x - m);
        return s / Math.max(0, g.length - correction);
    }

    /** log(sum(exp(x))) written the textbook way around the maximum. */
    static double logsumexp(double[] g) {
        double m = max(g);
        if (m == Double.NEGATIVE_INFINITY || m == Double.POSITIVE_INFINITY) return m;
        double s = 0;
        for (double x : g) s += Math.exp(x - m);
        return m + Math.log(s);
    }

    static double[] softmax(double[] lane) {
        double m = max(lane), s = 0;
        double[] r = new double[lane.length];
        for (int i = 0; i < r.length; i++) s += r[i] = Math.exp(lane[i] - m);
        for (int i = 0; i < r.length; i++) r[i] /= s;
        return r;
    }

    static double[] logSoftmax(double[] lane) {
        double l = logsumexp(lane);
        double[] r = new double[lane.length];
        for (int i = 0; i < r.length; i++) r[i] = lane[i] - l;
        return r;
    }

    // ---- sum, prod, max, min, mean, var, std, logsumexp ---------------------------------------

    /**
     * Summation order is the kernel's business: the bound is |error| <= c * sum |x| with c a
     * multiple of the unit roundoff times a modest n, good for any order (pairwise, blocked, SIMD).
     */
    static double sumSlack(DType dt) {
        return dt == DType.FLOAT32 ? 2e-5 : 1e-12;
    }

    @Property
    void reductionsMatchReference(@ForAll("reductions") Reduction r, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built x = r.layout().build(dt, Domain.range(-10, 10), seed);
        int rank = x.ref().shape.length;
        int[] ax = Gen.resolveAxes(r.axes(), rank);
        NDArray a = x.array();
        double slack = sumSlack(dt);
        Ref scale = x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::sumAbs);
        Ref.assertWithin("sum " + r, a.sum(r.axes(), r.keepdim()), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::sum), scale, slack, 0);
        Ref.assertClose("max " + r, a.max(r.axes(), r.keepdim()), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::max), Tol.EXACT);
        Ref.assertClose("min " + r, a.min(r.axes(), r.keepdim()), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::min), Tol.EXACT);

        Ref.assertWithin("mean " + r, Tensor.of(a).mean(r.axes(), r.keepdim()).data(), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::mean),
                scale.map(v -> v / countOf(x.ref().shape, ax)), slack * 2, 0);
        for (int correction = 0; correction <= 1; correction++) {
            int c = correction;
            if (countOf(x.ref().shape, ax) - c <= 0) continue; // 0/0: NaN or inf, checked below
            Ref want = x.ref().reduce(ax, r.keepdim(), g -> var(g, c));
            // Deviations are at most 20, so the error is bounded by slack * 400 * n / (n - c), relative to the mean square.
            Ref.assertClose("var(correction " + c + ") " + r, Tensor.of(a).var(r.axes(), r.keepdim(), c).data(), want,
                    new Tol(dt == DType.FLOAT32 ? 1e-4 : 1e-10, dt == DType.FLOAT32 ? 1e-4 : 1e-10));
            Ref.assertClose("std(correction " + c + ") " + r, Tensor.of(a).std(r.axes(), r.keepdim(), c).data(), want.map(Math::sqrt),
                    new Tol(dt == DType.FLOAT32 ? 1e-4 : 1e-10, dt == DType.FLOAT32 ? 1e-4 : 1e-10));
        }
        Ref.assertClose("logsumexp " + r, Tensor.of(a).logsumexp(r.axes(), r.keepdim()).data(), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::logsumexp),
                new Tol(dt == DType.FLOAT32 ? 1e-5 : 1e-12, dt == DType.FLOAT32 ? 1e-5 : 1e-12));
    }

    static int countOf(int[] shape, int[] axes) {
        int n = 1;
        for (int a : axes) n *= shape[a];
        return n;
    }

    /** prod stays in range with factors near 1; float64 reference, relative bound. */
    @Property
    void prodMatchesReference(@ForAll("reductions") Reduction r, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built x = r.layout().build(dt, Domain.range(0.9, 1.1), seed);
        int[] ax = Gen.resolveAxes(r.axes(), x.ref().shape.length);
        int n = Math.max(1, countOf(x.ref().shape, ax));
        double eps = dt == DType.FLOAT32 ? 6e-8 : 1.2e-16;
        Ref.assertClose("prod " + r, x.array().prod(r.axes(), r.keepdim()), x.ref().reduce(ax, r.keepdim(), ReductionPropertiesTest::prod),
                new Tol(4 * n * eps, 0));
    }

    @Property
    void reducingAllAxesEqualsReducingNone(@ForAll("reductions") Reduction r, @ForAll("seeds") long seed) {
        Built x = r.layout().build(DType.FLOAT64, Domain.ints(-3, 3), seed);
        int rank = x.ref().shape.length;
        int[] all = new int[rank];
        for (int i = 0; i < rank; i++) all[i] = i - rank; // spelled negatively
        // Integer data: the sums are exact, so any order gives the same bits.
        Ref.assertSame("sum() vs sum(all axes) " + r, x.array().sum(), x.array().sum(all));
        assertEquals(0, x.array().sum().ndim());
        assertArrayEquals(onesOfRank(rank), x.array().sum(all, true).shape());
        // Reducing a subset and then the rest equals reducing everything at once.
        int[] ax = Gen.resolveAxes(r.axes(), rank);
        assertEquals(sum(x.ref().v), x.array().sum(r.axes(), false).sum().item(), 0, "sum in two steps");
        assertEquals(rank - ax.length, x.array().sum(r.axes(), false).ndim());
    }

    static int[] onesOfRank(int rank) {
        int[] s = new int[rank];
        Arrays.fill(s, 1);
        return s;
    }

    // ---- argmax / argmin ----------------------------------------------------------------------

    static double firstIndexOf(double[] lane, boolean max) {
        int best = 0;
        for (int i = 1; i < lane.length; i++) if (max ? lane[i] > lane[best] : lane[i] < lane[best]) best = i;
        return best;
    }

    /** Integer values make ties common: the first index must win. */
    @Property
    void argmaxAndArgminReturnTheFirstExtreme(@ForAll("lanes") AlongAxis l, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built x = l.layout().build(dt, Domain.ints(-2, 2), seed);
        int rank = x.ref().shape.length, a = l.axis() < 0 ? l.axis() + rank : l.axis();
        for (boolean max : new boolean[] {true, false}) {
            NDArray got = max ? x.array().argmax(l.axis(), l.keepdim()) : x.array().argmin(l.axis(), l.keepdim());
            assertEquals(DType.INT32, got.dtype());
            Ref want = x.ref().reduce(new int[] {a}, l.keepdim(), g -> firstIndexOf(g, max));
            Ref.assertClose((max ? "argmax " : "argmin ") + l, got, want, Tol.EXACT);
        }
    }

    // ---- softmax, logSoftmax ------------------------------------------------------------------

    @Property
    void softmaxMatchesReferenceAndRowsSumToOne(@ForAll("lanes") AlongAxis l, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built x = l.layout().build(dt, Domain.range(-10, 10), seed);
        int rank = x.ref().shape.length, a = l.axis() < 0 ? l.axis() + rank : l.axis();
        Tol tol = dt == DType.FLOAT32 ? new Tol(1e-5, 1e-7) : new Tol(1e-12, 1e-15);
        NDArray sm = x.array().softmax(l.axis()), lsm = x.array().logSoftmax(l.axis());
        assertEquals(dt, sm.dtype());
        Ref.assertClose("softmax " + l, sm, x.ref().alongAxis(a, ReductionPropertiesTest::softmax), tol);
        Ref.assertClose("logSoftmax " + l, lsm, x.ref().alongAxis(a, ReductionPropertiesTest::logSoftmax),
                dt == DType.FLOAT32 ? new Tol(1e-5, 1e-5) : new Tol(1e-12, 1e-12));
        // Each lane sums to 1.
        Ref ones = x.ref().reduce(new int[] {a}, true, g -> 1);
        Ref.assertClose("softmax lanes sum to 1 " + l, sm.sum(new int[] {a}, true), ones,
                dt == DType.FLOAT32 ? new Tol(0, 1e-5) : new Tol(0, 1e-13));
        // logSoftmax = log(softmax) (values here keep softmax well above underflow).
        NDArray logOfSoftmax = sm.log();
        Ref.assertClose("logSoftmax = log(softmax) " + l, lsm, new Ref(logOfSoftmax.shape(), logOfSoftmax.toDoubleArray()),
                dt == DType.FLOAT32 ? new Tol(1e-5, 1e-5) : new Tol(1e-12, 1e-12));
    }

    /** Shifting by 1000 must neither overflow softmax nor change it; logsumexp shifts by 1000. */
    @Property
    void softmaxAndLogsumexpAreStableForLargeInputs(@ForAll("lanes") AlongAxis l, @ForAll("seeds") long seed) {
        Built x = l.layout().build(DType.FLOAT64, Domain.range(-5, 5), seed);
        int rank = x.ref().shape.length, a = l.axis() < 0 ? l.axis() + rank : l.axis();
        for (double shift : new double[] {1000, -1000}) {
            NDArray big = x.array().add(shift);
            Ref bigRef = x.ref().map(v -> v + shift);
            Ref.assertClose("softmax(x + " + shift + ") " + l, big.softmax(l.axis()), x.ref().alongAxis(a, ReductionPropertiesTest::softmax),
                    new Tol(1e-9, 1e-12));
            Ref.assertClose("logsumexp(x + " + shift + ") " + l, Tensor.of(big).logsumexp(new int[] {l.axis()}, l.keepdim()).data(),
                    bigRef.reduce(new int[] {a}, l.keepdim(), ReductionPropertiesTest::logsumexp), new Tol(1e-12, 1e-9));
        }
    }

    @Example
    void logsumexpOfInfiniteRows() {
        double inf = Double.POSITIVE_INFINITY;
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray x = Gen.array(new double[] {-inf, -inf, -inf, -inf, 0, -inf, 1000, 1000, -inf, 1, inf, 2}, dt, 4, 3);
            double[] r = Tensor.of(x).logsumexp(new int[] {1}, false).toDoubleArray();
            assertEquals(-inf, r[0], dt + ": an all -inf row");
            assertEquals(0, r[1], 1e-12, dt + ": -inf entries contribute nothing");
            assertEquals(1000 + Math.log(2), r[2], 1e-4, dt + ": large equal entries");
            assertEquals(inf, r[3], dt + ": a +inf entry");
            // The softmax of a row with -inf entries puts zero mass there.
            double[] sm = x.softmax(1).toDoubleArray();
            assertArrayEquals(new double[] {0, 1, 0}, Arrays.copyOfRange(sm, 3, 6), 1e-7, dt + " softmax with -inf");
            assertArrayEquals(new double[] {0.5, 0.5, 0}, Arrays.copyOfRange(sm, 6, 9), 1e-7, dt + " softmax at 1000");
            double[] lsm = x.logSoftmax(1).toDoubleArray();
            assertEquals(-inf, lsm[3], dt + " logSoftmax of a -inf entry");
            assertEquals(0, lsm[4], 1e-7);
            assertEquals(-Math.log(2), lsm[6], 1e-6);
        }
    }

    @Example
    void reductionsOverAnEmptyAxis() {
        NDArray e = NDArray.zeros(DType.FLOAT64, 3, 0);
        assertArrayEquals(new double[] {0, 0, 0}, e.sum(1).toDoubleArray(), "sum of nothing is 0");
        assertArrayEquals(new double[] {1, 1, 1}, e.prod(new int[] {1}, false).toDoubleArray(), "prod of nothing is 1");
        assertArrayEquals(new int[] {0}, e.sum(0).shape());
        // No group is empty when the kept axes are empty themselves: max over [0, 3] along 1 is [0].
        NDArray noRows = NDArray.zeros(DType.FLOAT64, 0, 3);
        assertArrayEquals(new int[] {0}, noRows.max(new int[] {1}, false).shape());
        assertArrayEquals(new int[] {0, 1}, noRows.min(new int[] {1}, true).shape());
        assertArrayEquals(new int[] {0}, noRows.argmax(1, false).shape());
    }

    @Example
    void nanPropagatesThroughMaxMinAndArgmax() {
        NDArray x = NDArray.of(new double[] {1, Double.NaN, 3, 5, 4, 2}, 2, 3);
        double[] mx = x.max(new int[] {1}, false).toDoubleArray(), mn = x.min(new int[] {1}, false).toDoubleArray();
        assertTrue(Double.isNaN(mx[0]) && Double.isNaN(mn[0]));
        assertEquals(5, mx[1]);
        assertEquals(2, mn[1]);
        // NaN counts as the extreme, as in NumPy.
        assertArrayEquals(new int[] {1, 0}, x.argmax(1, false).toIntArray());
        assertArrayEquals(new int[] {1, 2}, x.argmin(1, false).toIntArray());
    }

    /** sum over a float32 array of ones is exact up to 2^24: catches a float accumulator that drops small addends. */
    @Example
    void float32SumOfManyOnes() {
        NDArray ones = NDArray.ones(DType.FLOAT32, 100_000);
        assertEquals(100_000, ones.sum().item());
        NDArray x = NDArray.full(0.1, DType.FLOAT32, 100_000);
        assertEquals(100_000 * (double) 0.1f, x.sum().item(), 100_000 * 0.1 * 1e-5);
        assertEquals((double) 0.1f, Tensor.of(x).mean().item(), 0.1 * 1e-5);
    }
}
