package dev.proxima.tensor;

/**
 * A seeded, counter-based random generator. Element {@code i} of a draw is a pure function of
 * (seed, position of the draw, i), a SplitMix64 hash, so results do not depend on the thread
 * count or on how the work is split, and a draw can be replayed from its seed.
 *
 * <p>Each call reserves a fresh block of counters, so successive draws differ. {@link #split()}
 * derives an independent generator (for data loaders, per-layer init) without touching this
 * one's sequence beyond one counter.
 */
public final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final long seed;
    private long counter;

    public Rng(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** Reserves {@code n} counters and returns the first. */
    private synchronized long reserve(long n) {
        long c = counter;
        counter += n;
        return c;
    }

    /** A new generator seeded from this one. */
    public Rng split() {
        return new Rng(mix(seed + reserve(1) * GOLDEN));
    }

    /**
     * The generator for {@code data} under this one (JAX's {@code fold_in}): a pure function of
     * (seed, data) that leaves this generator's counter alone, so the same key and data give
     * the same draws however often they are asked for, on any thread. A functional call folds
     * a layer's name into its key ({@code nn}'s {@code Module.Context}).
     */
    public Rng fold(long data) {
        return new Rng(mix(seed ^ mix(data * GOLDEN + 0x632BE59BD9B4E019L)));
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix with good avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private double unit(long counterIndex) {
        return (mix(seed ^ mix(counterIndex * GOLDEN + 1)) >>> 11) * 0x1.0p-53; // [0, 1)
    }

    /** One uniform double in [0, 1). */
    public double nextDouble() {
        return unit(reserve(1));
    }

    /** One uniform int in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("nextInt: bound must be positive, got " + bound);
        return (int) (nextDouble() * bound);
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
    public int[] permutation(int n) {
        if (n < 0) throw new IllegalArgumentException("permutation: negative length " + n);
        Shapes.checkHeap("permutation", DType.INT32, new int[] {n});
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        long base = reserve(n);
        for (int i = n - 1; i > 0; i--) {
            int j = (int) (unit(base + i) * (i + 1));
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** Uniform values in [low, high). */
    public NDArray uniform(double low, double high, DType dtype, Device device, int... shape) {
        if (!Double.isFinite(low) || !Double.isFinite(high) || low > high)
            throw new IllegalArgumentException("uniform: bounds low " + low + " and high " + high + " must be finite with low <= high");
        Shapes.checkHeap("uniform", DType.FLOAT64, shape); // drawn in float64 first
        int n = Shapes.numel("uniform", shape);
        long base = reserve(n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = low + (high - low) * unit(base + i);
        if (dtype == DType.FLOAT32) {
            // Rounding a draw just below high to float can give high itself (rand(): 1.0f once
            // in 2^25 draws; a range a few ulps wide: often). Step those down below high.
            for (int i = 0; i < n; i++) {
                float f = (float) v[i];
                while (f >= high && f > low) f = Math.nextDown(f);
                v[i] = f;
            }
        } else if (dtype == DType.BFLOAT16) {
            // The same, with 8 bits (rand() rounds to 1.0 once in 2^9 draws); and a low bound
            // that is no bfloat16 is often rounded past, so those step up to the first above it.
            for (int i = 0; i < n; i++) {
                short h = BFloat16.fromDouble(v[i]);
                while (BFloat16.toFloat(h) < low && BFloat16.toFloat(h) < high) h = (short) (BFloat16.nextDown((short) (h ^ 0x8000)) ^ 0x8000); // next up
                while (BFloat16.toFloat(h) >= high && BFloat16.toFloat(h) > low) h = BFloat16.nextDown(h);
                v[i] = BFloat16.toFloat(h);
            }
        }
        return fromDoubles(v, dtype, device, shape, "uniform");
    }

    /** Normal values with the given mean and standard deviation (Box-Muller, two counters per value). */
    public NDArray normal(double mean, double std, DType dtype, Device device, int... shape) {
        if (!Double.isFinite(mean) || !Double.isFinite(std) || std < 0)
            throw new IllegalArgumentException("normal: mean " + mean + " and std " + std + " must be finite with std >= 0");
        Shapes.checkHeap("normal", DType.FLOAT64, shape); // drawn in float64 first
        int n = Shapes.numel("normal", shape);
        long base = reserve(2L * n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double u1 = 1 - unit(base + 2L * i); // (0, 1]: log stays finite
            double u2 = unit(base + 2L * i + 1);
            v[i] = mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }
        return fromDoubles(v, dtype, device, shape, "normal");
    }

    private static NDArray fromDoubles(double[] v, DType dtype, Device device, int[] shape, String op) {
        Object data = switch (dtype) {
            case FLOAT64 -> v;
            case FLOAT32 -> {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                yield f;
            }
            case BFLOAT16 -> {
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) h[i] = BFloat16.fromDouble(v[i]);
                yield h;
            }
            case INT32 -> throw new IllegalArgumentException(op + ": needs a floating dtype, got int32");
        };
        return NDArray.wrap(device.backend().upload(data), shape);
    }
}
