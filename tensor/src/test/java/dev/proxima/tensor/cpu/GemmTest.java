package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Both GEMM kernels and the threaded driver against a naive triple loop, on random sizes
 * (odd, smaller and larger than a register tile and a cache block) and random layouts:
 * row- or column-major operands (transposed views) with padded leading dimensions and offsets.
 */
class GemmTest {
    private static final Gemm.Kernel VECTOR = new VectorGemm(), SCALAR = new Gemm.Scalar();

    @Property(tries = 60)
    void vectorKernelMatchesNaive(@ForAll @IntRange(min = 1, max = 200) int m, @ForAll @IntRange(min = 1, max = 200) int n,
                                  @ForAll @IntRange(min = 1, max = 600) int k, @ForAll boolean dbl, @ForAll long seed) {
        check(VECTOR, false, m, n, k, dbl, seed);
    }

    @Property(tries = 60)
    void scalarKernelMatchesNaive(@ForAll @IntRange(min = 1, max = 200) int m, @ForAll @IntRange(min = 1, max = 200) int n,
                                  @ForAll @IntRange(min = 1, max = 600) int k, @ForAll boolean dbl, @ForAll long seed) {
        check(SCALAR, false, m, n, k, dbl, seed);
    }

    /** Through Gemm.gemm, which splits C across threads once the product is large enough. */
    @Property(tries = 30)
    void threadedDriverMatchesNaive(@ForAll @IntRange(min = 60, max = 260) int m, @ForAll @IntRange(min = 60, max = 260) int n,
                                    @ForAll @IntRange(min = 60, max = 300) int k, @ForAll boolean dbl, @ForAll long seed) {
        check(null, true, m, n, k, dbl, seed);
    }

    /**
     * C computed as four rectangles, split at any row and column, has the bits of C computed
     * whole: every element gets the same operations whichever rectangle, tile or edge tile
     * computed it, which is what makes GEMM results independent of the thread count.
     */
    @Property(tries = 40)
    void anySplitOfCGivesTheSameBits(@ForAll @IntRange(min = 1, max = 90) int m, @ForAll @IntRange(min = 1, max = 90) int n,
                                     @ForAll @IntRange(min = 1, max = 600) int k, @ForAll boolean dbl, @ForAll boolean scalar,
                                     @ForAll long seed) {
        Gemm.Kernel kernel = scalar ? SCALAR : VECTOR;
        Random r = new Random(seed);
        Layout la = Layout.random(r, m, k), lb = Layout.random(r, k, n);
        double[] a = new double[la.size], b = new double[lb.size];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        Object pa = dbl ? a : toFloat(a), pb = dbl ? b : toFloat(b);
        Object whole = dbl ? new double[m * n] : new float[m * n], split = dbl ? new double[m * n] : new float[m * n];
        kernel.block(m, n, k, pa, la.off, la.rs, la.cs, pb, lb.off, lb.rs, lb.cs, whole, 0, 0, m, 0, n);
        int si = r.nextInt(m + 1), sj = r.nextInt(n + 1);
        for (int[] q : new int[][] {{0, si, 0, sj}, {0, si, sj, n}, {si, m, 0, sj}, {si, m, sj, n}})
            if (q[0] < q[1] && q[2] < q[3])
                kernel.block(m, n, k, pa, la.off, la.rs, la.cs, pb, lb.off, lb.rs, lb.cs, split, 0, q[0], q[1], q[2], q[3]);
        String what = "split at row " + si + ", column " + sj + " (m=" + m + " n=" + n + " k=" + k + ")";
        if (dbl) assertArrayEquals((double[]) whole, (double[]) split, 0.0, what);
        else assertArrayEquals((float[]) whole, (float[]) split, 0f, what);
    }

    /**
     * bfloat16 operands (short[] bits, any layout) into a float32 C: the bits of the same
     * kernel on the widened float32 operands, for each kernel and the threaded driver. The
     * values span many binades, with NaN and infinities, so any widening that is not the
     * exact shift (or any other order of the multiply-adds) shows in the bits.
     */
    @Property(tries = 40)
    void bfloat16OperandsGiveTheFloat32ProductOfTheirValues(@ForAll @IntRange(min = 1, max = 150) int m,
                                                           @ForAll @IntRange(min = 1, max = 150) int n,
                                                           @ForAll @IntRange(min = 1, max = 300) int k,
                                                           @ForAll @IntRange(max = 2) int which, @ForAll long seed) {
        Random r = new Random(seed);
        Layout la = Layout.random(r, m, k), lb = Layout.random(r, k, n);
        short[] ah = new short[la.size], bh = new short[lb.size];
        for (int i = 0; i < ah.length; i++) ah[i] = dev.proxima.tensor.BFloat16.fromDouble(value(r));
        for (int i = 0; i < bh.length; i++) bh[i] = dev.proxima.tensor.BFloat16.fromDouble(value(r));
        float[] af = dev.proxima.tensor.BFloat16.toFloats(ah), bf = dev.proxima.tensor.BFloat16.toFloats(bh);
        float[] got = new float[m * n], want = new float[m * n];
        java.util.Arrays.fill(got, 1e3f); // stale values in C must be overwritten
        if (which == 2) {
            Gemm.gemm(m, n, k, ah, la.off, la.rs, la.cs, bh, lb.off, lb.rs, lb.cs, got, 0, true);
            Gemm.gemm(m, n, k, af, la.off, la.rs, la.cs, bf, lb.off, lb.rs, lb.cs, want, 0, true);
        } else {
            Gemm.Kernel kernel = which == 0 ? VECTOR : SCALAR;
            kernel.block(m, n, k, ah, la.off, la.rs, la.cs, bh, lb.off, lb.rs, lb.cs, got, 0, 0, m, 0, n);
            kernel.block(m, n, k, af, la.off, la.rs, la.cs, bf, lb.off, lb.rs, lb.cs, want, 0, 0, m, 0, n);
        }
        // NaN payloads are left to the JIT (which operand of an add it keeps), so any NaN matches any NaN
        for (int i = 0; i < m * n; i++)
            assertTrue(Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(want[i]) || Float.isNaN(got[i]) && Float.isNaN(want[i]),
                    "C[" + i + "] = " + got[i] + " from bfloat16, " + want[i] + " from float32 (m=" + m + " n=" + n + " k=" + k
                            + " " + la + " " + lb + ", kernel " + which + ")");
    }

    /** Mostly N(0, 1) scaled by 2^-20..2^20, now and then 0, an infinity or NaN. */
    private static double value(Random r) {
        return switch (r.nextInt(200)) {
            case 0 -> Double.NaN;
            case 1 -> Double.POSITIVE_INFINITY;
            case 2 -> 0.0;
            default -> r.nextGaussian() * Math.scalb(1.0, r.nextInt(41) - 20);
        };
    }

    @Property(tries = 20)
    void emptyDepthGivesZeros(@ForAll @IntRange(min = 1, max = 20) int m, @ForAll @IntRange(min = 1, max = 20) int n) {
        float[] c = new float[m * n];
        java.util.Arrays.fill(c, 7f);
        Gemm.gemm(m, n, 0, new float[0], 0, 0, 1, new float[0], 0, n, 1, c, 0, true);
        for (float v : c) assertTrue(v == 0f);
    }

    private static void check(Gemm.Kernel kernel, boolean driver, int m, int n, int k, boolean dbl, long seed) {
        Random r = new Random(seed);
        Layout la = Layout.random(r, m, k), lb = Layout.random(r, k, n);
        double[] a = new double[la.size], b = new double[lb.size];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        if (!dbl) { // round to float first, so the reference sees the same inputs
            for (int i = 0; i < a.length; i++) a[i] = (float) a[i];
            for (int i = 0; i < b.length; i++) b[i] = (float) b[i];
        }
        int co = r.nextInt(3);
        Object pa = dbl ? a.clone() : toFloat(a), pb = dbl ? b.clone() : toFloat(b);
        Object c = dbl ? new double[co + m * n] : new float[co + m * n];
        // Stale values in C must be overwritten, not accumulated into.
        for (int i = 0; i < m * n; i++) write(c, co + i, 1e3);
        if (driver) Gemm.gemm(m, n, k, pa, la.off, la.rs, la.cs, pb, lb.off, lb.rs, lb.cs, c, co, true);
        else kernel.block(m, n, k, pa, la.off, la.rs, la.cs, pb, lb.off, lb.rs, lb.cs, c, co, 0, m, 0, n);
        double eps = dbl ? 0x1p-53 : 0x1p-24;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double ref = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = a[la.at(i, p)] * b[lb.at(p, j)];
                    ref += t;
                    abs += Math.abs(t);
                }
                double got = read(c, co + i * n + j);
                // The standard bound for a k-term dot product, with room for the reference's own rounding.
                assertTrue(Math.abs(got - ref) <= 2 * (k + 2) * eps * abs + Double.MIN_VALUE,
                        "C[" + i + "," + j + "] = " + got + ", expected " + ref + " (m=" + m + " n=" + n + " k=" + k + " " + la + " " + lb + ")");
            }
    }

    /** A rows x cols operand inside a larger buffer: row- or column-major, padded, offset. */
    private record Layout(int off, int rs, int cs, int size) {
        static Layout random(Random r, int rows, int cols) {
            int off = r.nextInt(4), pad = r.nextInt(3) == 0 ? r.nextInt(5) : 0;
            boolean colMajor = r.nextBoolean();
            int rs = colMajor ? 1 : cols + pad, cs = colMajor ? rows + pad : 1;
            return new Layout(off, rs, cs, off + (rows - 1) * rs + (cols - 1) * cs + 1);
        }

        int at(int i, int j) {
            return off + i * rs + j * cs;
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static double read(Object a, int i) {
        return a instanceof float[] f ? f[i] : ((double[]) a)[i];
    }

    private static void write(Object a, int i, double v) {
        if (a instanceof float[] f) f[i] = (float) v;
        else ((double[]) a)[i] = v;
    }
}
