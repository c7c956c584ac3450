package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.testkit.Gen.Built;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.Gen.Layout;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Ref.Tol;
import dev.proxima.testkit.Ref;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Factories (zeros ... eye, of, to) and the seeded generator: determinism, independence, statistics. */
class CreationAndRngTest {

    @Provide
    Arbitrary<int[]> shapes() {
        return Gen.shapes();
    }

    @Provide
    Arbitrary<DType> types() {
        return Arbitraries.of(DType.class);
    }

    @Provide
    Arbitrary<DType> floats() {
        return Gen.floatTypes();
    }

    @Provide
    Arbitrary<Layout> layouts() {
        return Gen.layouts();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    // ---- factories ----------------------------------------------------------------------------

    @Property
    void zerosOnesAndFullHaveTheirShapeDtypeAndValue(@ForAll("shapes") int[] shape, @ForAll("types") DType dt,
                                                     @ForAll @IntRange(min = -50, max = 50) int value) {
        int n = Ref.count(shape);
        for (Object[] c : new Object[][] {{"zeros", NDArray.zeros(dt, shape), 0.0}, {"ones", NDArray.ones(dt, shape), 1.0},
                {"full", NDArray.full(value, dt, shape), (double) value}}) {
            NDArray x = (NDArray) c[1];
            assertArrayEquals(shape, x.shape(), c[0] + " shape");
            assertEquals(dt, x.dtype(), c[0] + " dtype");
            assertTrue(x.isContiguous(), c[0] + " contiguous");
            double[] want = new double[n];
            Arrays.fill(want, (double) c[2]);
            assertArrayEquals(want, x.toDoubleArray(), c[0] + " values");
        }
        // The float32 defaults.
        assertEquals(DType.FLOAT32, NDArray.zeros(shape).dtype());
        assertEquals(DType.FLOAT32, NDArray.ones(shape).dtype());
    }

    @Property
    void fullOfAFractionRoundsToTheDtype(@ForAll("shapes") int[] shape, @ForAll @DoubleRange(min = -1e6, max = 1e6) double value) {
        NDArray f = NDArray.full(value, DType.FLOAT32, shape), d = NDArray.full(value, DType.FLOAT64, shape);
        for (double v : f.toDoubleArray()) assertEquals((double) (float) value, v);
        for (double v : d.toDoubleArray()) assertEquals(value, v);
    }

    @Property
    void arangeCountsLikeNumPy(@ForAll @IntRange(min = -20, max = 20) int start, @ForAll @IntRange(min = -20, max = 20) int end,
                               @ForAll @IntRange(min = -4, max = 4) int stepHalves, @ForAll("floats") DType dt) {
        if (stepHalves == 0) return;
        double step = stepHalves * 0.5;
        NDArray a = NDArray.arange(start, end, step, dt);
        // ceil((end - start) / step) values, clamped at 0: with a half-integer step the ratio is exact.
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        assertArrayEquals(new int[] {n}, a.shape());
        double[] v = a.toDoubleArray();
        for (int i = 0; i < n; i++) assertEquals(start + i * step, v[i], "arange(" + start + ", " + end + ", " + step + ")[" + i + "]");
        for (double x : v) assertTrue(step > 0 ? x < end : x > end, "every value is before end");
        assertEquals(DType.FLOAT32, NDArray.arange(5).dtype());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, NDArray.arange(5).toFloatArray());
        assertArrayEquals(new int[] {0, 2, 4}, NDArray.arange(0, 5, 2, DType.INT32).toIntArray());
    }

    @Property
    void linspaceHitsBothEndsEvenly(@ForAll @DoubleRange(min = -100, max = 100) double start, @ForAll @DoubleRange(min = -100, max = 100) double end,
                                    @ForAll @IntRange(min = 0, max = 300) int n) {
        double[] v = NDArray.linspace(start, end, n, DType.FLOAT64).toDoubleArray();
        assertEquals(n, v.length);
        if (n == 0) return;
        assertEquals(start, v[0]);
        if (n > 1) {
            assertEquals(end, v[n - 1], "the last value is end exactly");
            double step = (end - start) / (n - 1);
            for (int i = 0; i < n; i++) assertEquals(start + i * step, v[i], 1e-12 * (Math.abs(start) + Math.abs(end)) + 1e-300);
        }
    }

    @Property
    void eyeIsTheIdentity(@ForAll @IntRange(min = 0, max = 40) int n, @ForAll("types") DType dt) {
        NDArray e = NDArray.eye(n, dt);
        assertArrayEquals(new int[] {n, n}, e.shape());
        assertEquals(dt, e.dtype());
        double[] v = e.toDoubleArray();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(i == j ? 1 : 0, v[i * n + j]);
    }

    @Property
    void ofCopiesItsInput(@ForAll("shapes") int[] shape, @ForAll("seeds") long seed) {
        int n = Ref.count(shape);
        double[] d = Domain.range(-5, 5).sample(new java.util.SplittableRandom(seed), DType.FLOAT64, n);
        float[] f = new float[n];
        int[] ints = new int[n];
        for (int i = 0; i < n; i++) { f[i] = (float) d[i]; ints[i] = (int) Math.floor(d[i]); }
        NDArray a = NDArray.of(d, shape), b = NDArray.of(f, shape), c = NDArray.of(ints, shape);
        assertEquals(DType.FLOAT64, a.dtype());
        assertEquals(DType.FLOAT32, b.dtype());
        assertEquals(DType.INT32, c.dtype());
        double[] before = d.clone();
        if (n > 0) { d[0] = 99; f[0] = 99; ints[0] = 99; } // later writes to the caller's array do not leak in
        assertArrayEquals(before, a.toDoubleArray());
        if (n > 0) {
            assertEquals((float) before[0], b.toFloatArray()[0]);
            assertEquals((int) Math.floor(before[0]), c.toIntArray()[0]);
        }
        assertArrayEquals(shape, a.shape());
        // the returned shape is a copy too
        if (shape.length > 0) {
            int[] s = a.shape();
            s[0] = 1234;
            assertArrayEquals(shape, a.shape());
        }
    }

    /** float32 -> float64 -> float32 and int32 -> float64 -> int32 are lossless; float64 -> float32 rounds. */
    @Property
    void toDtypeRoundTrips(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        Built f = layout.build(DType.FLOAT32, Domain.range(-1e4, 1e4), seed);
        NDArray wide = f.array().to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, wide.dtype());
        Ref.assertClose("float32 -> float64 of " + layout, wide, f.ref(), Tol.EXACT);
        Ref.assertClose("float32 -> float64 -> float32", wide.to(DType.FLOAT32), f.ref(), Tol.EXACT);
        assertEquals(DType.FLOAT32, wide.to(DType.FLOAT32).dtype());

        Built i = layout.build(DType.INT32, Domain.ints(-100000, 100000), seed);
        Ref.assertClose("int32 -> float64 -> int32", i.array().to(DType.FLOAT64).to(DType.INT32), i.ref(), Tol.EXACT);
        Ref.assertClose("int32 -> float32", i.array().to(DType.FLOAT32), i.ref(), Tol.EXACT);

        Built d = layout.build(DType.FLOAT64, Domain.range(-1e4, 1e4), seed);
        Ref.assertClose("float64 -> float32 rounds to nearest", d.array().to(DType.FLOAT32), d.ref().toFloat(), Tol.EXACT);
        // Same dtype: the same array.
        assertTrue(d.array() == d.array().to(DType.FLOAT64));
    }

    // ---- Rng ----------------------------------------------------------------------------------

    @Property
    void sameSeedSameValues(@ForAll("seeds") long seed, @ForAll("shapes") int[] shape, @ForAll("floats") DType dt) {
        Rng r1 = new Rng(seed), r2 = new Rng(seed);
        for (int t = 0; t < 2; t++) {
            assertArrayEquals(NDArray.rand(r1, dt, shape).toDoubleArray(), NDArray.rand(r2, dt, shape).toDoubleArray());
            assertArrayEquals(NDArray.randn(r1, dt, shape).toDoubleArray(), NDArray.randn(r2, dt, shape).toDoubleArray());
            assertArrayEquals(NDArray.uniform(r1, -3, 5, dt, shape).toDoubleArray(), NDArray.uniform(r2, -3, 5, dt, shape).toDoubleArray());
        }
        assertEquals(r1.nextDouble(), r2.nextDouble());
        assertEquals(r1.nextInt(1000), r2.nextInt(1000));
        assertArrayEquals(r1.permutation(50), r2.permutation(50));
        assertArrayEquals(r1.split().permutation(20), r2.split().permutation(20));
    }

    @Property
    void successiveDrawsAndSeedsDiffer(@ForAll("seeds") long seed) {
        Rng r = new Rng(seed);
        double[] a = NDArray.rand(r, DType.FLOAT64, 64).toDoubleArray(), b = NDArray.rand(r, DType.FLOAT64, 64).toDoubleArray();
        assertFalse(Arrays.equals(a, b), "two draws from one generator");
        double[] c = NDArray.rand(new Rng(seed + 1), DType.FLOAT64, 64).toDoubleArray();
        assertFalse(Arrays.equals(NDArray.rand(new Rng(seed), DType.FLOAT64, 64).toDoubleArray(), c), "neighbouring seeds");
        Rng parent = new Rng(seed), child = parent.split();
        assertFalse(Arrays.equals(NDArray.rand(parent, DType.FLOAT64, 64).toDoubleArray(), NDArray.rand(child, DType.FLOAT64, 64).toDoubleArray()),
                "a split generator");
        // No repeated value within a draw (2^53 possible values, 64 draws).
        assertEquals(64, Arrays.stream(a).distinct().count());
    }

    /** fold is JAX's fold_in: a pure function of (seed, data), leaving the parent's counter alone; other data, another stream. */
    @Property
    void foldIsPureAndLeavesTheParentAlone(@ForAll("seeds") long seed, @ForAll long data) {
        Rng key = new Rng(seed);
        double[] once = NDArray.rand(key.fold(data), DType.FLOAT64, 32).toDoubleArray();
        assertArrayEquals(once, NDArray.rand(key.fold(data), DType.FLOAT64, 32).toDoubleArray(), "the same key and data, the same draws");
        assertArrayEquals(NDArray.rand(new Rng(seed), DType.FLOAT64, 32).toDoubleArray(), NDArray.rand(key, DType.FLOAT64, 32).toDoubleArray(),
                "folding did not advance the parent");
        assertFalse(Arrays.equals(once, NDArray.rand(new Rng(seed).fold(data + 1), DType.FLOAT64, 32).toDoubleArray()), "neighbouring data");
        assertFalse(Arrays.equals(once, NDArray.rand(new Rng(seed + 1).fold(data), DType.FLOAT64, 32).toDoubleArray()), "neighbouring keys");
        assertFalse(Arrays.equals(once, NDArray.rand(new Rng(seed), DType.FLOAT64, 32).toDoubleArray()), "the parent's own stream");
    }

    /** Values in range, and mean/variance within many standard errors for n = 200k. */
    @Property(tries = 5)
    void statisticsAreRoughlyRight(@ForAll("seeds") long seed, @ForAll("floats") DType dt) {
        int n = 200_000;
        Rng r = new Rng(seed);
        double[] u = NDArray.uniform(r, -2, 6, dt, n).toDoubleArray();
        for (double x : u) assertTrue(x >= -2 && x < 6, "uniform value " + x + " outside [-2, 6)");
        // mean 2, variance 64/12; standard error of the mean sqrt(64/12/n) ~ 0.005
        assertEquals(2, mean(u), 0.05);
        assertEquals(64 / 12.0, var(u), 0.1);
        double[] z = NDArray.randn(r, dt, n).toDoubleArray();
        assertEquals(0, mean(z), 0.02);
        assertEquals(1, var(z), 0.03);
        // The normal's tails: about 4.55% beyond 2 sigma.
        long beyond = Arrays.stream(z).filter(x -> Math.abs(x) > 2).count();
        assertEquals(0.0455, beyond / (double) n, 0.005);
        double[] w = NDArray.rand(r, dt, n).toDoubleArray();
        for (double x : w) assertTrue(x >= 0 && x < 1, "rand value " + x + " outside [0, 1)");
        // Neighbouring elements are uncorrelated.
        double c = 0;
        for (int i = 1; i < n; i++) c += (w[i] - 0.5) * (w[i - 1] - 0.5);
        assertEquals(0, c / (n - 1) / (1 / 12.0), 0.02);
        // nextInt is uniform over its bound
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[r.nextInt(7)]++;
        for (int k : counts) assertEquals(10_000, k, 600);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static double var(double[] v) {
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return s / (v.length - 1);
    }

    /**
     * A range narrower than a float32 ulp or two: rounding the double draw to float must not
     * produce {@code high}, which the contract excludes.
     */
    @Property(tries = 20)
    void float32UniformNeverReturnsHigh(@ForAll("seeds") long seed, @ForAll @IntRange(min = -20, max = 20) int exponent) {
        float low = Math.scalb(1f, exponent);
        float high = Math.nextUp(Math.nextUp(low));
        double[] v = NDArray.uniform(new Rng(seed), low, high, DType.FLOAT32, 4096).toDoubleArray();
        for (double x : v) assertTrue(x >= low && x < high, "uniform(" + low + ", " + high + ") gave " + x);
    }

    @Property(tries = 20)
    void permutationIsAPermutation(@ForAll("seeds") long seed, @ForAll @IntRange(min = 0, max = 500) int n) {
        int[] p = new Rng(seed).permutation(n);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) assertEquals(i, sorted[i]);
    }

    /**
     * Same seed, same values whatever the threads: generate inside a 1-thread and a 4-thread
     * ForkJoinPool (kernels that parallelise may use the common pool or their own; both
     * settings must give the same bits) and on the calling thread.
     */
    @Property(tries = 5)
    void valuesDoNotDependOnTheThreadCount(@ForAll("seeds") long seed, @ForAll("floats") DType dt) throws Exception {
        int[] shape = {257, 129}; // large enough for any parallel split
        Supplier<double[][]> draw = () -> {
            Rng r = new Rng(seed);
            return new double[][] {NDArray.rand(r, dt, shape).toDoubleArray(), NDArray.randn(r, dt, shape).toDoubleArray(),
                    NDArray.uniform(r, -1, 1, dt, shape).toDoubleArray(), NDArray.rand(r.split(), dt, shape).toDoubleArray()};
        };
        double[][] here = draw.get();
        for (int threads : new int[] {1, 4}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                double[][] there = pool.submit(draw::get).get();
                for (int i = 0; i < here.length; i++) assertArrayEquals(here[i], there[i], "draw " + i + " in a " + threads + "-thread pool");
            } finally {
                pool.shutdown();
            }
        }
        // Several generators with one seed, drawing concurrently, agree too.
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<double[][]>>();
            for (int i = 0; i < 4; i++) futures.add(pool.submit(draw::get));
            for (var f : futures) assertArrayEquals(here[1], f.get()[1]);
        } finally {
            pool.shutdown();
        }
    }

    @Example
    void intRandomDrawsAreRejected() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NDArray.rand(new Rng(1), DType.INT32, 2, 3));
        assertTrue(e.getMessage().contains("uniform") && e.getMessage().contains("int32"), e.getMessage());
    }
}
