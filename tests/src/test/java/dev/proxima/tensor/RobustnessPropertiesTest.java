package dev.proxima.tensor;

import static dev.proxima.tensor.ErrorMessagesTest.fails;
import static dev.proxima.tensor.ErrorMessagesTest.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.function.Executable;

/**
 * The core under bad and extreme input: sizes near and past 2^31 through views (never
 * allocated), bounds at the ends of int, arrays with a zero dimension, and creation functions
 * given negative, NaN or overflowing arguments. Each must compute the right answer or fail
 * with a message that names the op and the argument, before any work is done.
 */
class RobustnessPropertiesTest {

    // ---- sizes past 2^31 through views -----------------------------------------------

    /** Two dimensions whose product passes 2^31-1 (and may pass 2^32). */
    @Provide
    Arbitrary<int[]> hugeDims() {
        return Arbitraries.integers().between(46341, 200_000).tuple2()
                .map(t -> new int[] {t.get1(), t.get2()});
    }

    @Property(tries = 30)
    void reductionsOverHugeBroadcastViewsCountInLong(@ForAll("hugeDims") int[] d, @ForAll @DoubleRange(min = -4, max = 4) double v,
                                                     @ForAll boolean f64) {
        DType dt = f64 ? DType.FLOAT64 : DType.FLOAT32;
        NDArray big = NDArray.scalar(v, dt, Device.cpu()).expand(d[0], d[1]);
        long n = (long) d[0] * d[1];
        assertTrue(n > Integer.MAX_VALUE);
        assertEquals(n, big.numel());
        double stored = dt == DType.FLOAT32 ? (float) v : v;
        double want = stored * n;
        assertEquals(want, big.sum().item(), Math.abs(want) * 1e-6 + 1e-6, "sum over " + str(d));
        assertEquals(stored, dev.proxima.autograd.Tensor.of(big).mean().item(), Math.abs(stored) * 1e-6 + 1e-12, "mean over " + str(d));
        assertEquals(stored, big.max().item(), 0);
    }

    @Property(tries = 20)
    void opsWhoseResultWouldPass2to31NameTheOp(@ForAll("hugeDims") int[] d) {
        NDArray col = NDArray.zeros(d[0], 1), row = NDArray.zeros(1, d[1]);
        String shape = str(d[0], d[1]);
        fails(IllegalArgumentException.class, () -> col.add(row), "add:", shape, "2^31-1");
        fails(IllegalArgumentException.class, () -> NDArray.where(col, col, row), "where:", shape);
        NDArray big = col.expand(d[0], d[1]);
        fails(IllegalArgumentException.class, big::exp, "exp:", shape);
        fails(IllegalArgumentException.class, big::size, "size:", shape);
        fails(IllegalArgumentException.class, () -> NDArray.zeros(d), "zeros:", shape);
    }

    /** Python's len(range(start, stop, step)) of the clamped bounds, in long arithmetic. */
    private static long pythonSliceLength(int n, int start, int end, int step) {
        long s = start < 0 ? Math.max(0, (long) start + n) : Math.min(start, n);
        long e = end < 0 ? Math.max(0, (long) end + n) : Math.min(end, n);
        return e > s ? (e - s + step - 1) / step : 0;
    }

    @Provide
    Arbitrary<Integer> extremeInts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-12, 12), Arbitraries.integers(),
                Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE + 1));
    }

    @Property
    void sliceBoundsAndStepsAtTheEndsOfInt(@ForAll @IntRange(max = 9) int n, @ForAll("extremeInts") int start,
                                          @ForAll("extremeInts") int end, @ForAll("extremeInts") int step) {
        NDArray x = NDArray.arange(n);
        if (step <= 0) {
            fails(IllegalArgumentException.class, () -> x.slice(0, start, end, step), "slice", "step");
            return;
        }
        NDArray s = x.slice(0, start, end, step);
        long len = pythonSliceLength(n, start, end, step);
        assertArrayEquals(new int[] {(int) len}, s.shape());
        double[] got = s.toDoubleArray();
        long first = start < 0 ? Math.max(0, (long) start + n) : Math.min(start, n);
        for (int i = 0; i < len; i++) assertEquals(first + (long) i * step, got[i], 0);
    }

    @Property
    void negativeExpandSizesAreRejected(@ForAll @IntRange(min = 1, max = 5) int a, @ForAll @IntRange(min = Integer.MIN_VALUE, max = -2) int bad,
                                        @ForAll boolean leading) {
        NDArray x = NDArray.zeros(1, a);
        int[] target = leading ? new int[] {-1, 1, a} : new int[] {bad, a};
        if (!leading) fails(IllegalArgumentException.class, () -> x.expand(target), "expand", String.valueOf(bad), "negative");
        else fails(IllegalArgumentException.class, () -> x.expand(target), "expand", "-1");
    }

    @Property(tries = 50)
    void padByHugeAmountsNamesPadNotCrop(@ForAll @IntRange(min = 4, max = 9) int n, @ForAll @IntRange(min = Integer.MAX_VALUE - 3) int p) {
        NDArray x = NDArray.zeros(n);
        fails(IllegalArgumentException.class, () -> x.pad(new int[] {p, 0}, 0), "pad", "2^31-1");
        fails(IllegalArgumentException.class, () -> x.pad(new int[] {0, p}, 0), "pad", "2^31-1");
    }

    // ---- creation functions: negative, NaN, overflowing arguments --------------------

    /** One bad call of a public creation function, and what its message must mention. */
    record BadCall(String what, Executable call, String... mentions) {
        public String toString() {
            return what;
        }
    }

    @Provide
    Arbitrary<BadCall> badCreations() {
        Arbitrary<Integer> negative = Arbitraries.integers().between(Integer.MIN_VALUE, -1);
        Arbitrary<Double> nonFinite = Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        Arbitrary<Integer> overflow = Arbitraries.integers().between(46341, Integer.MAX_VALUE);
        Rng rng = new Rng(1);
        List<Arbitrary<? extends BadCall>> calls = new ArrayList<>();
        calls.add(negative.map(k -> new BadCall("zeros(" + k + ")", () -> NDArray.zeros(2, k), "zeros", "negative", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("ones(" + k + ")", () -> NDArray.ones(k), "full", "negative", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("full(" + k + ")", () -> NDArray.full(1, DType.FLOAT64, 3, k), "full", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("rand(" + k + ")", () -> NDArray.rand(rng, DType.FLOAT32, k), "uniform", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("randn(" + k + ")", () -> NDArray.randn(rng, DType.FLOAT32, k, 2), "normal", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("of(" + k + ")", () -> NDArray.of(new float[0], 0, k), "of", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("eye(" + k + ")", () -> NDArray.eye(k, DType.FLOAT32), "eye", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("linspace(" + k + ")", () -> NDArray.linspace(0, 1, k, DType.FLOAT32), "linspace", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("permutation(" + k + ")", () -> rng.permutation(k), "permutation", String.valueOf(k))));
        calls.add(negative.map(k -> new BadCall("oneHot(" + k + ")", () -> NDArray.oneHot(NDArray.of(new int[] {0}, 1), k, DType.FLOAT32), "oneHot", String.valueOf(k))));
        calls.add(nonFinite.map(v -> new BadCall("arange(0, " + v + ")", () -> NDArray.arange(0, v, 1, DType.FLOAT32), "arange", String.valueOf(v))));
        calls.add(nonFinite.map(v -> new BadCall("arange(" + v + ", 1)", () -> NDArray.arange(v, 1, 1, DType.FLOAT32), "arange", String.valueOf(v))));
        calls.add(nonFinite.map(v -> new BadCall("arange step " + v, () -> NDArray.arange(0, 1, v, DType.FLOAT32), "arange", String.valueOf(v))));
        calls.add(Arbitraries.of(0.0, -0.0).map(v -> new BadCall("arange step 0", () -> NDArray.arange(0, 1, v, DType.FLOAT32), "arange", "step")));
        calls.add(nonFinite.map(v -> new BadCall("linspace(" + v + ")", () -> NDArray.linspace(v, 1, 3, DType.FLOAT32), "linspace", String.valueOf(v))));
        calls.add(nonFinite.map(v -> new BadCall("uniform(" + v + ")", () -> NDArray.uniform(rng, v, 1, DType.FLOAT32, 2), "uniform", String.valueOf(v))));
        calls.add(nonFinite.map(v -> new BadCall("normal std " + v, () -> rng.normal(0, v, DType.FLOAT32, Device.cpu(), 2), "normal", String.valueOf(v))));
        calls.add(Arbitraries.doubles().between(-1e9, -0.01).map(v -> new BadCall("normal std " + v, () -> rng.normal(0, v, DType.FLOAT32, Device.cpu(), 2), "normal", "std")));
        calls.add(overflow.map(k -> new BadCall("eye(" + k + ")", () -> NDArray.eye(k, DType.FLOAT32), "eye", "[" + k + ", " + k + "]")));
        calls.add(overflow.map(k -> new BadCall("zeros(" + k + ", " + k + ")", () -> NDArray.zeros(k, k), "zeros", "[" + k + ", " + k + "]")));
        calls.add(overflow.map(k -> new BadCall("full(" + k + ", " + k + ")", () -> NDArray.full(2, DType.FLOAT32, k, k), "full", "[" + k + ", " + k + "]")));
        calls.add(overflow.map(k -> new BadCall("randn(" + k + ", " + k + ")", () -> NDArray.randn(rng, DType.FLOAT32, k, k), "normal", "[" + k + ", " + k + "]")));
        calls.add(Arbitraries.doubles().between(2.2e9, 1e15).ofScale(0).map(v -> new BadCall("arange(0, " + v + ")", () -> NDArray.arange(0, v, 1, DType.FLOAT32), "arange", "2^31-1")));
        return Arbitraries.oneOf(calls);
    }

    @Property(tries = 300)
    void creationFunctionsRejectBadArgumentsByName(@ForAll("badCreations") BadCall c) {
        fails(IllegalArgumentException.class, c.call(), c.mentions());
    }

    @Property(tries = 10)
    void requestsLargerThanTheHeapSayWhatWasAsked(@ForAll @IntRange(min = 32768, max = 46340) int n) {
        long bytes = 8L * n * n;
        // The test JVM's heap is a quarter of RAM at most; these need 17 GB and more.
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes > Runtime.getRuntime().maxMemory());
        fails(IllegalArgumentException.class, () -> NDArray.zeros(DType.FLOAT64, n, n), "zeros", "float64", str(n, n),
                String.valueOf(bytes), "-Xmx");
        fails(IllegalArgumentException.class, () -> NDArray.arange(0, 46340.0 * 46340 / 2, 1, DType.FLOAT32), "arange", "bytes", "-Xmx");
    }

    // ---- arrays with a zero dimension ---------------------------------------------------

    @Provide
    Arbitrary<int[]> emptyShapes() {
        return dev.proxima.testkit.Gen.shapes(1, 4, 60).flatMap(s -> Arbitraries.integers().between(0, s.length - 1).map(at -> {
            int[] e = s.clone();
            e[at] = 0;
            return e;
        }));
    }

    @Property
    void everyOpOnAnEmptyArrayKeepsItsShape(@ForAll("emptyShapes") int[] shape, @ForAll boolean f64) {
        DType dt = f64 ? DType.FLOAT64 : DType.FLOAT32;
        NDArray x = NDArray.zeros(dt, shape);
        for (UnaryOp op : UnaryOp.values()) assertArrayEquals(shape, x.map(op).shape(), op.opName());
        for (BinaryOp op : BinaryOp.values()) {
            assertArrayEquals(shape, x.zip(op, x).shape(), op.opName());
            assertArrayEquals(shape, x.zip(op, x.scalarLike(2)).shape(), op.opName() + " with a scalar");
            int[] ones = new int[shape.length];
            Arrays.fill(ones, 1);
            assertArrayEquals(shape, NDArray.ones(dt, ones).zip(op, x).shape(), op.opName() + " broadcast");
        }
        assertArrayEquals(shape, NDArray.where(x, x, x).shape());
        assertArrayEquals(shape, x.contiguous().shape());
        assertEquals(0, x.sum().item());
        assertTrue(Double.isNaN(dev.proxima.autograd.Tensor.of(x).mean().item()), "mean of empty is NaN");
        assertEquals(1, x.prod(new int[0], false).item());
        fails(IllegalArgumentException.class, x::max, "max", str(shape));
        fails(IllegalArgumentException.class, x::min, "min", str(shape));
        for (int a = 0; a < shape.length; a++) {
            int[] kept = shape.clone();
            kept[a] = 1;
            assertArrayEquals(kept, x.sum(new int[] {a}, true).shape());
            assertArrayEquals(shape, x.softmax(a).shape());
            assertArrayEquals(shape, x.logSoftmax(a).shape());
            assertArrayEquals(shape, x.slice(a, 0, Integer.MAX_VALUE).shape());
            int[] padded = shape.clone();
            padded[a] += 2;
            int[] pad = new int[2 * shape.length];
            pad[2 * a] = 1;
            pad[2 * a + 1] = 1;
            assertArrayEquals(padded, x.pad(pad, 0).shape());
            int[] joined = shape.clone();
            joined[a] += padded[a];
            assertArrayEquals(joined, NDArray.concat(a, x, NDArray.zeros(dt, padded)).shape());
        }
        int[] reversed = new int[shape.length];
        int[] rshape = new int[shape.length];
        for (int i = 0; i < shape.length; i++) { reversed[i] = shape.length - 1 - i; rshape[i] = shape[shape.length - 1 - i]; }
        assertArrayEquals(rshape, x.permute(reversed).shape());
        assertArrayEquals(rshape, x.permute(reversed).contiguous().shape());
        // Reshapes of empty arrays (zeros(2, 0).reshape(0, 2) recursed forever once).
        assertArrayEquals(new int[] {0}, x.reshape(-1).shape());
        assertArrayEquals(new int[] {0, 2}, x.permute(reversed).reshape(0, 2).shape());
        assertArrayEquals(new int[] {3, 0}, x.reshape(3, -1).shape());
        assertEquals(0, x.toDoubleArray().length);
    }

    @Property(tries = 30)
    void emptyMatmulsGiveZerosOfTheRightShape(@ForAll @IntRange(max = 4) int m, @ForAll @IntRange(max = 4) int k,
                                              @ForAll @IntRange(max = 4) int n) {
        NDArray a = NDArray.ones(m, k), b = NDArray.ones(k, n);
        NDArray c = a.matmul(b);
        assertArrayEquals(new int[] {m, n}, c.shape());
        for (double v : c.toDoubleArray()) assertEquals(k, v, 0); // k = 0: zeros, as NumPy
    }
}
