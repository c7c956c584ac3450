package dev.proxima.tensor.cpu;

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
