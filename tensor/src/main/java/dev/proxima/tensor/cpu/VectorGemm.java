package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API GEMM, after Goto and van de Geijn ("Anatomy of high-performance matrix
 * multiplication", TOMS 2008). Loaded only through {@link Simd}'s reflection.
 *
 * <p>Loops, outermost first, for one thread's rectangle of C:
 * <ol>
 *   <li>columns in blocks of NC, and depth in blocks of KC: the KC x NC block of B is packed
 *       into micro-panels of NR columns, each KC rows of NR contiguous values (zero past the
 *       edge). At 256 x 512 floats (512 KiB) the block stays in L2 while all of A passes;</li>
 *   <li>rows in slivers of MR: the MR x KC sliver of A (5 KiB) stays in L1 while it meets
 *       every micro-panel of the block. It is read in place when A's rows are contiguous
 *       (the kernel broadcasts from MR row streams), and otherwise, or at the bottom edge,
 *       packed into MR contiguous rows (zero past the edge). Packing a sliver costs about as
 *       much as multiplying it by two micro-panels, so in place matters where B is narrow (a
 *       convolution's weight gradient: 144 x 32, depth 25088). C is walked along its rows,
 *       which suits the prefetcher when C is wide and shallow (the input gradient: 144 x
 *       25088, depth 32);</li>
 *   <li>the micro-kernel: an MR x NR tile of C in MR * 2 = 10 vector registers, one fused
 *       multiply-add per register per k; per k it loads 2 vectors of B and broadcasts MR = 5
 *       values of A straight from memory. NR is two vectors of the preferred species (16
 *       floats with AVX2, 32 with AVX-512), so the kernel serves either width.</li>
 * </ol>
 * Why 5 x 2 vectors: AVX2 has 16 vector registers. The previous 6 x 4-vector tile needed 29
 * and C2 spilled accumulators to the stack (a store-to-load chain per k: about 1 FMA per
 * cycle, ~40 GFLOP/s on one AMD EPYC AVX2 core); 6 x 2 needs 12 + 2 + the broadcasts, and
 * C2's scheduler keeps three broadcasts live, one register too many, so one accumulator
 * still went to the stack (measured 37 GFLOP/s in L1); 5 x 2 leaves room and ran at 55 to
 * 69 (the core's peak is 2 FMAs of 8 lanes per cycle, 78 GFLOP/s at 2.45 GHz). The loop's
 * indices are computed from its counter alone so that C2 hoists every range check.
 *
 * <p>Edge tiles of C (fewer than MR rows or NR columns) go through a small tile buffer, C's
 * part copied in and out, with the same micro-kernel.
 *
 * <p>Reproducibility: every element of C gets the same fused multiply-adds in the same
 * order, k ascending, starting from 0 in the first KC block and from C's value in each
 * later one, whichever rectangle, sliver or tile computed it. So no result depends on how
 * {@link Gemm} splits C across threads (never along k).
 *
 * <p>The float and double kernels are the same code on the two vector types (NC is halved
 * for double so that the block of B keeps its size in bytes).
 *
 * <p>bfloat16 operands ({@code short[]} bits) into a float32 C take the float path: they are
 * widened (exactly, a shift) as B's block and A's sliver are packed, A's sliver then always
 * packed, so the micro-kernel sees the float values of the bits and C gets the bits of the
 * float32 product of the widened operands, without a float32 copy of either operand.
 */
public final class VectorGemm implements Gemm.Kernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = F.length(), DL = D.length();
    private static final int MR = 5, NRF = 2 * FL, NRD = 2 * DL;
    private static final int KC = 256, NCF = 512, NCD = 256;

    /** Per thread, reused: B's packed block, A's packed sliver, one edge tile. */
    private static final ThreadLocal<float[][]> FLOAT_BUFFERS = ThreadLocal.withInitial(() -> new float[][] {
            new float[KC * roundUp(NCF, NRF)], new float[MR * KC], new float[MR * NRF]});
    private static final ThreadLocal<double[][]> DOUBLE_BUFFERS = ThreadLocal.withInitial(() -> new double[][] {
            new double[KC * roundUp(NCD, NRD)], new double[MR * KC], new double[MR * NRD]});

    private static final Gemm.Kernel SCALAR = new Gemm.Scalar();
    /** The Vector API row kernels' bfloat16 widening (exact), for packing bfloat16 operands. */
    private static final RowKernels WIDEN = new VectorRowKernels();

    public VectorGemm() {}

    @Override public int rowStep() { return MR; }
    @Override public int colStep() { return NRF; }

    @Override
    public void block(int m, int n, int k, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                      Object c, int co, int i0, int i1, int j0, int j1) {
        // A partial tile wastes lanes but still runs at vector speed: measured here, a
        // 128x512 @ 512x10 product ran at 4 GFLOP/s on the scalar path and a 1x512 @ 512x512
        // one at 2.5. Only when C is small both ways is a tile mostly padding. Decided on the
        // whole of C, not this rectangle, so that every thread takes the same path.
        if (m < MR && n < FL) {
            SCALAR.block(m, n, k, a, ao, ars, acs, b, bo, brs, bcs, c, co, i0, i1, j0, j1);
        } else if (c instanceof float[] cf) { // A and B float32, or bfloat16 bits widened as they are packed
            floats(n, k, a, ao, ars, acs, b, bo, brs, bcs, cf, co, i0, i1, j0, j1);
        } else {
            doubles(n, k, (double[]) a, ao, ars, acs, (double[]) b, bo, brs, bcs, (double[]) c, co, i0, i1, j0, j1);
        }
    }

    private static int roundUp(int x, int step) {
        return (x + step - 1) / step * step;
    }

    // ---- float -------------------------------------------------------------------------

    /** A and B both float32, or both bfloat16 bits ({@code short[]}). */
    private static void floats(int n, int k, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                               float[] c, int co, int i0, int i1, int j0, int j1) {
        float[][] buf = FLOAT_BUFFERS.get();
        float[] bp = buf[0], ap = buf[1], tile = buf[2];
        float[] af = a instanceof float[] f ? f : null; // null: bfloat16, packed (widened) always
        for (int jc = j0; jc < j1; jc += NCF) {
            int nc = Math.min(NCF, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean more = pc > 0; // continue from C rather than from zero
                packB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                for (int ir = i0; ir < i1; ir += MR) {
                    int rows = Math.min(MR, i1 - ir), from = ao + ir * ars + pc * acs;
                    // A's rows are read in place when they are float32, contiguous and all there
                    float[] as = af;
                    int a0 = from, ak = ars;
                    if (af == null || acs != 1 || rows < MR) {
                        packA(a, from, ars, acs, rows, kc, ap);
                        as = ap;
                        a0 = 0;
                        ak = kc;
                    }
                    for (int jr = 0; jr < nc; jr += NRF) {
                        int cols = Math.min(NRF, nc - jr), at = co + ir * n + jc + jr;
                        if (rows == MR && cols == NRF) kernel(kc, as, a0, ak, bp, jr * kc, c, at, n, more);
                        else edge(kc, as, a0, ak, bp, jr * kc, c, at, n, more, rows, cols, tile);
                    }
                }
            }
        }
    }

    /** B[p, j] for p < kc, j < nc into micro-panels of NRF columns (panel q at q * NRF * kc), zero past nc. */
    private static void packB(Object b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        if (b instanceof float[] bf) packB(bf, bo, brs, bcs, kc, nc, bp);
        else packB((short[]) b, bo, brs, bcs, kc, nc, bp);
    }

    private static void packB(float[] b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        for (int jr = 0; jr < nc; jr += NRF) {
            int w = Math.min(NRF, nc - jr), base = jr * kc, src = bo + jr * bcs;
            if (w < NRF) { // the last, partial panel
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRF) {
                    for (int j = 0; j < w; j++) bp[d + j] = b[s + j * bcs];
                    for (int j = w; j < NRF; j++) bp[d + j] = 0f;
                }
            } else if (bcs == 1) {
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRF) {
                    FloatVector.fromArray(F, b, s).intoArray(bp, d);
                    FloatVector.fromArray(F, b, s + FL).intoArray(bp, d + FL);
                }
            } else { // column by column: reads along B's columns, which are contiguous when B is a transposed view
                for (int j = 0; j < NRF; j++)
                    for (int p = 0, s = src + j * bcs, d = base + j; p < kc; p++, s += brs, d += NRF) bp[d] = b[s];
            }
        }
    }

    /** bfloat16 bits widened: the float32 packing's loops on {@code short[]}, rows of B widened by the row kernels' SIMD. */
    private static void packB(short[] b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        for (int jr = 0; jr < nc; jr += NRF) {
            int w = Math.min(NRF, nc - jr), base = jr * kc, src = bo + jr * bcs;
            if (w < NRF) { // the last, partial panel
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRF) {
                    for (int j = 0; j < w; j++) bp[d + j] = BFloat16.toFloat(b[s + j * bcs]);
                    for (int j = w; j < NRF; j++) bp[d + j] = 0f;
                }
            } else if (bcs == 1) {
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRF) WIDEN.widen(b, s, bp, d, NRF);
            } else {
                for (int j = 0; j < NRF; j++)
                    for (int p = 0, s = src + j * bcs, d = base + j; p < kc; p++, s += brs, d += NRF) bp[d] = BFloat16.toFloat(b[s]);
            }
        }
    }

    /** A[i, p] for i < rows, p < kc as MR rows of kc values, zero past rows. */
    private static void packA(Object a, int ao, int ars, int acs, int rows, int kc, float[] ap) {
        if (a instanceof float[] af) packA(af, ao, ars, acs, rows, kc, ap);
        else packA((short[]) a, ao, ars, acs, rows, kc, ap);
    }

    private static void packA(float[] a, int ao, int ars, int acs, int rows, int kc, float[] ap) {
        if (rows < MR) java.util.Arrays.fill(ap, rows * kc, MR * kc, 0f);
        if (ars == 1) { // A is a transposed view: read along its columns
            for (int p = 0, s = ao; p < kc; p++, s += acs)
                for (int i = 0; i < rows; i++) ap[i * kc + p] = a[s + i];
        } else {
            for (int i = 0; i < rows; i++)
                for (int p = 0, s = ao + i * ars, d = i * kc; p < kc; p++, s += acs, d++) ap[d] = a[s];
        }
    }

    /** bfloat16 bits widened, as the float32 packing; a row of A with unit stride by the row kernels' SIMD. */
    private static void packA(short[] a, int ao, int ars, int acs, int rows, int kc, float[] ap) {
        if (rows < MR) java.util.Arrays.fill(ap, rows * kc, MR * kc, 0f);
        if (acs == 1) {
            for (int i = 0; i < rows; i++) WIDEN.widen(a, ao + i * ars, ap, i * kc, kc);
        } else if (ars == 1) {
            for (int p = 0, s = ao; p < kc; p++, s += acs)
                for (int i = 0; i < rows; i++) ap[i * kc + p] = BFloat16.toFloat(a[s + i]);
        } else {
            for (int i = 0; i < rows; i++)
                for (int p = 0, s = ao + i * ars, d = i * kc; p < kc; p++, s += acs, d++) ap[d] = BFloat16.toFloat(a[s]);
        }
    }

    /**
     * The micro-kernel: the MR x NRF tile of C at {@code at} (row stride {@code ldc}) = (that
     * tile if {@code more}, else 0) + A's sliver times B's micro-panel at {@code bi}. The
     * sliver's rows start at {@code a0}, {@code a0 + ars}, ..., each kc contiguous values.
     */
    private static void kernel(int kc, float[] a, int a0, int ars, float[] bp, int bi, float[] c, int at, int ldc, boolean more) {
        int r1 = at + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc;
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (more) {
            c00 = FloatVector.fromArray(F, c, at); c01 = FloatVector.fromArray(F, c, at + FL);
            c10 = FloatVector.fromArray(F, c, r1); c11 = FloatVector.fromArray(F, c, r1 + FL);
            c20 = FloatVector.fromArray(F, c, r2); c21 = FloatVector.fromArray(F, c, r2 + FL);
            c30 = FloatVector.fromArray(F, c, r3); c31 = FloatVector.fromArray(F, c, r3 + FL);
            c40 = FloatVector.fromArray(F, c, r4); c41 = FloatVector.fromArray(F, c, r4 + FL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = FloatVector.zero(F);
        }
        for (int p = 0; p < kc; p++) { // indices from p alone, so that C2 hoists the range checks
            int j = bi + p * NRF;
            FloatVector b0 = FloatVector.fromArray(F, bp, j), b1 = FloatVector.fromArray(F, bp, j + FL);
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[a4 + p]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, at); c01.intoArray(c, at + FL);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + FL);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + FL);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + FL);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + FL);
    }

    /** A tile with {@code rows < MR} or {@code cols < NRF}: the micro-kernel on a copy, then its valid part back. */
    private static void edge(int kc, float[] a, int a0, int ars, float[] bp, int bi, float[] c, int at, int ldc, boolean more,
                             int rows, int cols, float[] tile) {
        if (more) for (int i = 0; i < rows; i++) System.arraycopy(c, at + i * ldc, tile, i * NRF, cols);
        kernel(kc, a, a0, ars, bp, bi, tile, 0, NRF, more);
        for (int i = 0; i < rows; i++) System.arraycopy(tile, i * NRF, c, at + i * ldc, cols);
    }

    // ---- double ------------------------------------------------------------------------

    private static void doubles(int n, int k, double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                                double[] c, int co, int i0, int i1, int j0, int j1) {
        double[][] buf = DOUBLE_BUFFERS.get();
        double[] bp = buf[0], ap = buf[1], tile = buf[2];
        for (int jc = j0; jc < j1; jc += NCD) {
            int nc = Math.min(NCD, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean more = pc > 0; // continue from C rather than from zero
                packB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                for (int ir = i0; ir < i1; ir += MR) {
                    int rows = Math.min(MR, i1 - ir), from = ao + ir * ars + pc * acs;
                    // A's rows are read in place when they are contiguous and all there
                    double[] as = a;
                    int a0 = from, ak = ars;
                    if (acs != 1 || rows < MR) {
                        packA(a, from, ars, acs, rows, kc, ap);
                        as = ap;
                        a0 = 0;
                        ak = kc;
                    }
                    for (int jr = 0; jr < nc; jr += NRD) {
                        int cols = Math.min(NRD, nc - jr), at = co + ir * n + jc + jr;
                        if (rows == MR && cols == NRD) kernel(kc, as, a0, ak, bp, jr * kc, c, at, n, more);
                        else edge(kc, as, a0, ak, bp, jr * kc, c, at, n, more, rows, cols, tile);
                    }
                }
            }
        }
    }

    private static void packB(double[] b, int bo, int brs, int bcs, int kc, int nc, double[] bp) {
        for (int jr = 0; jr < nc; jr += NRD) {
            int w = Math.min(NRD, nc - jr), base = jr * kc, src = bo + jr * bcs;
            if (w < NRD) { // the last, partial panel
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRD) {
                    for (int j = 0; j < w; j++) bp[d + j] = b[s + j * bcs];
                    for (int j = w; j < NRD; j++) bp[d + j] = 0.0;
                }
            } else if (bcs == 1) {
                for (int p = 0, s = src, d = base; p < kc; p++, s += brs, d += NRD) {
                    DoubleVector.fromArray(D, b, s).intoArray(bp, d);
                    DoubleVector.fromArray(D, b, s + DL).intoArray(bp, d + DL);
                }
            } else { // column by column: reads along B's columns, which are contiguous when B is a transposed view
                for (int j = 0; j < NRD; j++)
                    for (int p = 0, s = src + j * bcs, d = base + j; p < kc; p++, s += brs, d += NRD) bp[d] = b[s];
            }
        }
    }

    private static void packA(double[] a, int ao, int ars, int acs, int rows, int kc, double[] ap) {
        if (rows < MR) java.util.Arrays.fill(ap, rows * kc, MR * kc, 0.0);
        if (ars == 1) { // A is a transposed view: read along its columns
            for (int p = 0, s = ao; p < kc; p++, s += acs)
                for (int i = 0; i < rows; i++) ap[i * kc + p] = a[s + i];
        } else {
            for (int i = 0; i < rows; i++)
                for (int p = 0, s = ao + i * ars, d = i * kc; p < kc; p++, s += acs, d++) ap[d] = a[s];
        }
    }

    private static void kernel(int kc, double[] a, int a0, int ars, double[] bp, int bi, double[] c, int at, int ldc, boolean more) {
        int r1 = at + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc;
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars;
        DoubleVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (more) {
            c00 = DoubleVector.fromArray(D, c, at); c01 = DoubleVector.fromArray(D, c, at + DL);
            c10 = DoubleVector.fromArray(D, c, r1); c11 = DoubleVector.fromArray(D, c, r1 + DL);
            c20 = DoubleVector.fromArray(D, c, r2); c21 = DoubleVector.fromArray(D, c, r2 + DL);
            c30 = DoubleVector.fromArray(D, c, r3); c31 = DoubleVector.fromArray(D, c, r3 + DL);
            c40 = DoubleVector.fromArray(D, c, r4); c41 = DoubleVector.fromArray(D, c, r4 + DL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = DoubleVector.zero(D);
        }
        for (int p = 0; p < kc; p++) { // indices from p alone, so that C2 hoists the range checks
            int j = bi + p * NRD;
            DoubleVector b0 = DoubleVector.fromArray(D, bp, j), b1 = DoubleVector.fromArray(D, bp, j + DL);
            DoubleVector x = DoubleVector.broadcast(D, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(D, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(D, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(D, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(D, a[a4 + p]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, at); c01.intoArray(c, at + DL);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + DL);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + DL);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + DL);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + DL);
    }

    private static void edge(int kc, double[] a, int a0, int ars, double[] bp, int bi, double[] c, int at, int ldc, boolean more,
                             int rows, int cols, double[] tile) {
        if (more) for (int i = 0; i < rows; i++) System.arraycopy(c, at + i * ldc, tile, i * NRD, cols);
        kernel(kc, a, a0, ars, bp, bi, tile, 0, NRD, more);
        for (int i = 0; i < rows; i++) System.arraycopy(tile, i * NRD, c, at + i * ldc, cols);
    }
}
