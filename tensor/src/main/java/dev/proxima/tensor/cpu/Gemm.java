package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;

/**
 * General matrix multiply C = A B for one batch element. A is m x k with row stride
 * {@code ars} and column stride {@code acs}; B is k x n likewise; C is a contiguous m x n
 * block at {@code co} (row stride n) that is overwritten. Arrays are all {@code float[]}, or
 * all {@code double[]}, or A and B {@code short[]} bfloat16 bits and C {@code float[]}: the
 * kernels widen bfloat16 as they pack or read it (exact), so C gets the bits of the float32
 * product of the widened operands, without a float32 copy of either.
 *
 * <p>This class splits C into one rectangle per thread and hands each to a {@link Kernel}:
 * the Vector API one ({@code VectorGemm}, loaded by {@link Simd}) or {@link Scalar}. Both
 * copy ("pack") the blocks of A and B they use into contiguous buffers first, which absorbs
 * any strides (transposed views cost nothing extra) and keeps the block they reuse in cache.
 */
final class Gemm {
    /** Multiply-adds below which a product runs on the calling thread alone (~100^3). */
    static final long PARALLEL_WORK = 1L << 20;

    private Gemm() {}

    /** Computes the rectangle rows [i0, i1) x columns [j0, j1) of C. */
    interface Kernel {
        void block(int m, int n, int k, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                   Object c, int co, int i0, int i1, int j0, int j1);

        /** Rows of C one kernel step produces: thread splits along M are multiples of it. */
        int rowStep();

        /** Columns of C one kernel step produces, for float (double has half as many lanes). */
        int colStep();
    }

    static void gemm(int m, int n, int k, Object a, int ao, int ars, int acs,
                     Object b, int bo, int brs, int bcs, Object c, int co, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (c instanceof float[] cf) java.util.Arrays.fill(cf, co, co + m * n, 0f);
            else java.util.Arrays.fill((double[]) c, co, co + m * n, 0.0);
            return;
        }
        Kernel kernel = Simd.gemm();
        long work = (long) m * n * k;
        if (!parallel || work < PARALLEL_WORK || Parallel.threads() == 1) {
            kernel.block(m, n, k, a, ao, ars, acs, b, bo, brs, bcs, c, co, 0, m, 0, n);
            return;
        }
        // Split the longer side of C, so each thread packs the full other operand once and
        // its own share of this one; shares are whole kernel steps.
        if (n >= m) {
            Parallel.forRange(n, (long) m * k, PARALLEL_WORK, kernel.colStep(),
                    (j0, j1) -> kernel.block(m, n, k, a, ao, ars, acs, b, bo, brs, bcs, c, co, 0, m, j0, j1));
        } else {
            Parallel.forRange(m, (long) n * k, PARALLEL_WORK, kernel.rowStep(),
                    (i0, i1) -> kernel.block(m, n, k, a, ao, ars, acs, b, bo, brs, bcs, c, co, i0, i1, 0, n));
        }
    }

    /**
     * The path without the Vector API: for each block of B (KC rows by NC columns, packed
     * contiguously so it stays in L2 while every row of A passes over it), the i-k-j loop
     * {@code C[i, :] += A[i, p] * B[p, :]}, whose inner loop is unit-stride on both sides.
     */
    static final class Scalar implements Kernel {
        private static final int KC = 256, NC = 512;
        private static final ThreadLocal<float[]> FLOATS = ThreadLocal.withInitial(() -> new float[KC * NC]);
        private static final ThreadLocal<double[]> DOUBLES = ThreadLocal.withInitial(() -> new double[KC * NC]);

        @Override public int rowStep() { return 1; }
        @Override public int colStep() { return 16; }

        @Override
        public void block(int m, int n, int k, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                          Object c, int co, int i0, int i1, int j0, int j1) {
            if (c instanceof float[] cf) floats(k, n, a, ao, ars, acs, b, bo, brs, bcs, cf, co, i0, i1, j0, j1);
            else doubles(k, n, (double[]) a, ao, ars, acs, (double[]) b, bo, brs, bcs, (double[]) c, co, i0, i1, j0, j1);
        }

        /** A and B float32, or bfloat16 bits ({@code short[]}) widened exactly as they are read. */
        private static void floats(int k, int n, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                                   float[] c, int co, int i0, int i1, int j0, int j1) {
            float[] bp = FLOATS.get(), af = a instanceof float[] f ? f : null, bf = b instanceof float[] f ? f : null;
            short[] ah = af == null ? (short[]) a : null, bh = bf == null ? (short[]) b : null;
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    for (int p = 0; p < kc; p++)
                        for (int j = 0; j < nc; j++) {
                            int at = bo + (pc + p) * brs + (jc + j) * bcs;
                            bp[p * nc + j] = bf != null ? bf[at] : BFloat16.toFloat(bh[at]);
                        }
                    for (int i = i0; i < i1; i++) {
                        int crow = co + i * n + jc, arow = ao + i * ars + pc * acs;
                        if (pc == 0) java.util.Arrays.fill(c, crow, crow + nc, 0f);
                        for (int p = 0; p < kc; p++) {
                            float av = af != null ? af[arow + p * acs] : BFloat16.toFloat(ah[arow + p * acs]);
                            int brow = p * nc;
                            for (int j = 0; j < nc; j++) c[crow + j] += av * bp[brow + j];
                        }
                    }
                }
            }
        }

        private static void doubles(int k, int n, double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                                    double[] c, int co, int i0, int i1, int j0, int j1) {
            double[] bp = DOUBLES.get();
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    for (int p = 0; p < kc; p++)
                        for (int j = 0; j < nc; j++) bp[p * nc + j] = b[bo + (pc + p) * brs + (jc + j) * bcs];
                    for (int i = i0; i < i1; i++) {
                        int crow = co + i * n + jc, arow = ao + i * ars + pc * acs;
                        if (pc == 0) java.util.Arrays.fill(c, crow, crow + nc, 0.0);
                        for (int p = 0; p < kc; p++) {
                            double av = a[arow + p * acs];
                            int brow = p * nc;
                            for (int j = 0; j < nc; j++) c[crow + j] += av * bp[brow + j];
                        }
                    }
                }
            }
        }
    }
}
