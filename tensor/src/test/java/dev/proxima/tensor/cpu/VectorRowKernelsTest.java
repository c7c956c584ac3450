package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The Vector API row kernels against the scalar reference, op by op, on random lengths (1,
 * odd, whole vectors plus a tail), offsets and strides (1, 0 for broadcasts, larger for
 * views), in float32 and float64. Transcendental ops may differ by a few ulps. The bfloat16
 * conversions and reductions must agree bit for bit.
 */
class VectorRowKernelsTest {
    private static final RowKernels VEC = new VectorRowKernels();
    private static final RowKernels REF = new ScalarRowKernels();

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 40), Arbitraries.integers().between(41, 300));
    }

    @Provide
    Arbitrary<Integer> strides() {
        return Arbitraries.of(1, 1, 1, 0, 2, 3);
    }

    @Property
    void unaryMatchesScalar(@ForAll UnaryOp op, @ForAll boolean dbl, @ForAll("lengths") int n,
                            @ForAll("strides") int xs, @ForAll @IntRange(max = 5) int xo, @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = new double[xo + Math.max(xs, 1) * n];
        for (int i = 0; i < x.length; i++) x[i] = sample(op, r);
        Object in = array(x, dbl), got = alloc(dbl, n + 2), ref = alloc(dbl, n + 2);
        VEC.unary(op, in, xo, xs, got, 1, n);
        REF.unary(op, in, xo, xs, ref, 1, n);
        for (int i = 0; i <= n + 1; i++) {
            double xi = i >= 1 && i <= n ? read(in, xo + (i - 1) * xs) : 0;
            double ulps = 4, abs = 0;
            if (op == UnaryOp.GELU_TANH) {
                // Rounding u = c(x + 0.044715x^3) is amplified by |u| through exp; and the
                // reference's 1 + tanh(u) cancels for negative x, leaving an absolute error
                // of about |x| * 2^-53, which the vector form (x * sigmoid(2u)) avoids.
                ulps = 4 + 4 * xi * xi;
                abs = Math.abs(xi) * 0x1p-50;
            }
            assertClose(read(ref, i), read(got, i), ulps, abs, dbl, op + " x=" + xi + " n=" + n + " xs=" + xs);
        }
    }

    @Property
    void binaryMatchesScalar(@ForAll BinaryOp op, @ForAll boolean dbl, @ForAll("lengths") int n,
                             @ForAll("strides") int as, @ForAll("strides") int bs, @ForAll long seed) {
        Random r = new Random(seed);
        double[] a = new double[1 + Math.max(as, 1) * n], b = new double[2 + Math.max(bs, 1) * n];
        for (int i = 0; i < a.length; i++) a[i] = op == BinaryOp.POW ? 0.1 + 4 * r.nextDouble() : value(r);
        for (int i = 0; i < b.length; i++) b[i] = op == BinaryOp.POW ? 6 * r.nextDouble() - 3 : (r.nextInt(4) == 0 ? a[Math.min(i, a.length - 1)] : value(r));
        if (op != BinaryOp.POW && r.nextInt(3) == 0) a[r.nextInt(a.length)] = Double.NaN;
        Object pa = array(a, dbl), pb = array(b, dbl), got = alloc(dbl, n), ref = alloc(dbl, n);
        VEC.binary(op, pa, 1, as, pb, 2, bs, got, 0, n);
        REF.binary(op, pa, 1, as, pb, 2, bs, ref, 0, n);
        for (int i = 0; i < n; i++)
            assertClose(read(ref, i), read(got, i), 4, 0, dbl, op + " a=" + read(pa, 1 + i * as) + " b=" + read(pb, 2 + i * bs));
    }

    @Property
    void reduceMatchesScalar(@ForAll ReduceOp op, @ForAll boolean dbl, @ForAll("lengths") int n,
                             @ForAll("strides") int xs, @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = new double[3 + Math.max(xs, 1) * n];
        double abs = 0;
        for (int i = 0; i < x.length; i++) x[i] = op == ReduceOp.PROD ? 0.5 + r.nextDouble() : value(r);
        Object in = array(x, dbl);
        for (int i = 0; i < n; i++) abs += Math.abs(read(in, 3 + i * xs));
        double got = VEC.reduce(op, in, 3, xs, n), ref = REF.reduce(op, in, 3, xs, n);
        // Both accumulate in double; only the order differs.
        double tol = op == ReduceOp.SUM ? 1e-13 * abs : op == ReduceOp.PROD ? 1e-13 * Math.abs(ref) : 0;
        assertTrue(Math.abs(got - ref) <= tol, op + " n=" + n + ": " + got + " vs " + ref);
    }

    @Property
    void accumulateMatchesScalar(@ForAll ReduceOp op, @ForAll boolean dbl, @ForAll("lengths") int n,
                                 @ForAll("strides") int xs, @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll long seed) {
        Random r = new Random(seed);
        int rs = Math.max(xs, 1) * n + 1;
        double[] x = new double[2 + rows * rs];
        for (int i = 0; i < x.length; i++) x[i] = op == ReduceOp.PROD ? 0.5 + r.nextDouble() : value(r);
        Object in = array(x, dbl);
        double[] got = new double[n + 1], ref = new double[n + 1];
        for (int i = 0; i <= n; i++) got[i] = ref[i] = value(r);
        VEC.accumulate(op, got, 1, in, 2, xs, n, rows, rs);
        REF.accumulate(op, ref, 1, in, 2, xs, n, rows, rs);
        for (int i = 0; i <= n; i++)
            assertTrue(got[i] == ref[i], op + " i=" + i + ": " + got[i] + " vs " + ref[i]); // same order: exact
    }

    @Property
    void softmaxMatchesScalar(@ForAll boolean log, @ForAll boolean dbl, @ForAll("lengths") int n,
                              @ForAll("strides") int xs, @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = new double[1 + Math.max(xs, 1) * n];
        for (int i = 0; i < x.length; i++) x[i] = 20 * r.nextDouble() - 10;
        Object in = array(x, dbl), got = alloc(dbl, n), ref = alloc(dbl, n);
        VEC.softmax(in, 1, xs, got, 0, 1, n, log);
        REF.softmax(in, 1, xs, ref, 0, 1, n, log);
        double eps = dbl ? 0x1p-52 : 0x1p-23;
        for (int i = 0; i < n; i++) {
            double g = read(got, i), e = read(ref, i);
            // A few roundings of each term and of the sum; log-softmax is x - m - log(sum),
            // whose absolute error is that of its largest term. And
            // x - m is rounded in the element type, and exp turns its absolute error into a
            // relative one: |x - m| <= |log softmax| + log n.
            double z = log ? Math.abs(e) : Math.abs(Math.log(e)) + Math.log(n);
            double tol = log ? 8 * eps * (1 + z + Math.log(n + 1)) : eps * Math.abs(e) * (8 + 2 * z) + Double.MIN_VALUE;
            assertTrue(Math.abs(g - e) <= tol, (log ? "log" : "") + "softmax n=" + n + " i=" + i + ": " + g + " vs " + e);
        }
    }

    // ---- bfloat16 ------------------------------------------------------------------------

    @Property
    void narrowMatchesBFloat16(@ForAll("lengths") int n, @ForAll @IntRange(max = 5) int xo, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = new float[xo + n];
        for (int i = 0; i < x.length; i++) x[i] = Float.intBitsToFloat(switch (r.nextInt(4)) {
            case 0 -> r.nextInt(); // any bits: NaNs with payloads, infinities, subnormals
            case 1 -> r.nextInt() & 0xFFFF0000 | 0x8000 | (r.nextBoolean() ? 0 : r.nextInt(2)); // a tie, or just past one
            case 2 -> r.nextBoolean() ? 0x7F7FFFFF : 0xFF7F8000 - r.nextInt(3); // at the overflow threshold
            default -> Float.floatToRawIntBits((float) value(r));
        });
        for (RowKernels k : new RowKernels[] {VEC, REF}) {
            short[] got = new short[n + 2];
            k.narrow(x, xo, got, 1, n);
            assertTrue(got[0] == 0 && got[n + 1] == 0, "narrow wrote outside its row");
            for (int i = 0; i < n; i++)
                assertTrue(got[1 + i] == BFloat16.fromFloat(x[xo + i]), k.getClass().getSimpleName() + " narrow "
                        + Integer.toHexString(Float.floatToRawIntBits(x[xo + i])) + ": " + Integer.toHexString(got[1 + i] & 0xFFFF)
                        + " vs " + Integer.toHexString(BFloat16.fromFloat(x[xo + i]) & 0xFFFF));
        }
    }

    @Property
    void widenIsExact(@ForAll("lengths") int n, @ForAll @IntRange(max = 5) int xo, @ForAll long seed) {
        Random r = new Random(seed);
        short[] x = new short[xo + n];
        for (int i = 0; i < x.length; i++) x[i] = (short) r.nextInt();
        for (RowKernels k : new RowKernels[] {VEC, REF}) {
            float[] got = new float[n + 2];
            k.widen(x, xo, got, 1, n);
            assertTrue(got[0] == 0 && got[n + 1] == 0, "widen wrote outside its row");
            for (int i = 0; i < n; i++) // the raw bits: a NaN keeps its payload
                assertTrue(Float.floatToRawIntBits(got[1 + i]) == x[xo + i] << 16, "widen " + Integer.toHexString(x[xo + i] & 0xFFFF));
        }
    }

    /** A bfloat16 row reduces to the bits of the float32 row of its widened values, on each path: same lanes, same order. */
    @Property
    void bfloat16ReductionsEqualFloat32(@ForAll ReduceOp op, @ForAll("lengths") int n, @ForAll("strides") int xs,
                                        @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll long seed) {
        Random r = new Random(seed);
        int rs = Math.max(xs, 1) * n + 1;
        float[] wide = new float[3 + rows * rs];
        for (int i = 0; i < wide.length; i++)
            wide[i] = BFloat16.toFloat(BFloat16.fromDouble(op == ReduceOp.PROD ? 0.5 + r.nextDouble() : value(r)));
        if (r.nextInt(4) == 0) wide[3 + r.nextInt(n) * Math.max(xs, 1)] = Float.NaN;
        short[] bits = BFloat16.fromFloats(wide);
        for (RowKernels k : new RowKernels[] {VEC, REF}) {
            String what = k.getClass().getSimpleName() + " " + op + " n=" + n + " xs=" + xs;
            assertTrue(Double.compare(k.reduce(op, bits, 3, xs, n), k.reduce(op, wide, 3, xs, n)) == 0, what);
            double[] got = new double[n + 1], ref = new double[n + 1];
            for (int i = 0; i <= n; i++) got[i] = ref[i] = value(r);
            k.accumulate(op, got, 1, bits, 3, xs, n, rows, rs);
            k.accumulate(op, ref, 1, wide, 3, xs, n, rows, rs);
            for (int i = 0; i <= n; i++) assertTrue(Double.compare(got[i], ref[i]) == 0, what + " accumulate i=" + i);
        }
    }

    // ---- helpers -----------------------------------------------------------------------

    /** Values in each op's domain, with exact zeros and larger magnitudes now and then. */
    private static double sample(UnaryOp op, Random r) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> r.nextInt(10) == 0 ? 1e-3 * r.nextDouble() + 1e-30 : 100 * r.nextDouble() + 1e-6;
            case LOG1P -> 10 * r.nextDouble() - 0.999;
            default -> r.nextInt(10) == 0 ? 0 : value(r);
        };
    }

    private static double value(Random r) {
        return r.nextInt(5) == 0 ? 16 * r.nextGaussian() : 2 * r.nextGaussian();
    }

    private static void assertClose(double ref, double got, double ulps, double abs, boolean dbl, String what) {
        if (Double.isNaN(ref) && Double.isNaN(got)) return;
        if (ref == got) return;
        double ulp = dbl ? Math.ulp(ref) : Math.ulp((float) ref);
        assertTrue(Math.abs(got - ref) <= ulps * ulp + abs, what + ": vector " + got + " vs scalar " + ref);
    }

    private static Object array(double[] x, boolean dbl) {
        if (dbl) return x.clone();
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static Object alloc(boolean dbl, int n) {
        return dbl ? new double[n] : new float[n];
    }

    private static double read(Object a, int i) {
        return a instanceof float[] f ? f[i] : ((double[]) a)[i];
    }
}
