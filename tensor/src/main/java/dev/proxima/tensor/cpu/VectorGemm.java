package dev.proxima.tensor.cpu;

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
 *       into panels of NR columns, each panel KC rows of NR contiguous values. KC x NC is half
 *       of a Zen 4 core's 1 MiB L2, so the block stays there while all of A passes over it;</li>
 *   <li>rows in slivers of MR: the MR x KC sliver of A is packed k-major (MR values per k),
 *       small enough (6 KiB) to stay in L1 while it meets every panel of the block;</li>
 *   <li>the micro-kernel: an MR x NR tile of C held in MR * NR/lanes = 24 vector registers,
 *       updated by one fused multiply-add per register per k. Per k it loads NR/lanes = 4
 *       vectors of B and broadcasts MR = 6 values of A: 10 loads for 24 FMAs, so the FMA
 *       units, not the loads, set the pace; 24 + 4 + 1 registers fit AVX-512's 32.</li>
 * </ol>
 * Edge tiles are computed whole (the packed buffers hold stale values past the edge, which
 * only reach discarded lanes) and written through a small tile buffer.
 *
 * <p>The float and double kernels are the same code on the two vector types.
 */
public final class VectorGemm implements Gemm.Kernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = F.length(), DL = D.length();
    private static final int MR = 6, NRF = 4 * FL, NRD = 4 * DL;
    private static final int KC = 256, NC = 512;

    private static final ThreadLocal<float[][]> FLOAT_BUFFERS =
            ThreadLocal.withInitial(() -> new float[][] {new float[KC * (NC + NRF)], new float[KC * MR], new float[MR * NRF]});
    private static final ThreadLocal<double[][]> DOUBLE_BUFFERS =
            ThreadLocal.withInitial(() -> new double[][] {new double[KC * (NC + NRD)], new double[KC * MR], new double[MR * NRD]});

    private static final Gemm.Kernel SCALAR = new Gemm.Scalar();

    public VectorGemm() {}

    @Override public int rowStep() { return MR; }
    @Override public int colStep() { return NRF; }

    @Override
    public void block(int m, int n, int k, Object a, int ao, int ars, int acs, Object b, int bo, int brs, int bcs,
                      Object c, int co, int i0, int i1, int j0, int j1) {
        // A partial tile wastes lanes but still runs at vector speed: measured here, a
        // 128x512 @ 512x10 product ran at 4 GFLOP/s on the scalar path and a 1x512 @ 512x512
        // one at 2.5. Only when C is small both ways is a tile mostly padding.
        if (i1 - i0 < MR && j1 - j0 < FL) {
            SCALAR.block(m, n, k, a, ao, ars, acs, b, bo, brs, bcs, c, co, i0, i1, j0, j1);
        } else if (a instanceof float[] af) {
            floats(n, k, af, ao, ars, acs, (float[]) b, bo, brs, bcs, (float[]) c, co, i0, i1, j0, j1);
        } else {
            doubles(n, k, (double[]) a, ao, ars, acs, (double[]) b, bo, brs, bcs, (double[]) c, co, i0, i1, j0, j1);
        }
    }

    // ---- float -------------------------------------------------------------------------

    private static void floats(int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int brs, int bcs,
                               float[] c, int co, int i0, int i1, int j0, int j1) {
        float[][] buf = FLOAT_BUFFERS.get();
        float[] bp = buf[0], ap = buf[1], tile = buf[2];
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                for (int ir = i0; ir < i1; ir += MR) {
                    int rows = Math.min(MR, i1 - ir);
                    packA(a, ao + ir * ars + pc * acs, ars, acs, rows, kc, ap);
                    int whole = nc - nc % NRF;
                    for (int jr = 0; jr < whole; jr += NRF)
                        tile(kc, ap, bp, jr * kc, c, co + ir * n + jc + jr, n, pc > 0, rows, NRF, tile);
                    for (int jv = whole; jv < nc; jv += FL) // the last, partial panel: one vector of columns at a time
                        narrowTile(kc, ap, bp, whole * kc + (jv - whole), c, co + ir * n + jc + jv, n, pc > 0, rows, Math.min(FL, nc - jv), tile);
                }
            }
        }
    }

    /** B[p, j] for p < kc, j < nc into panels of NRF columns: panel q holds kc rows of NRF values. */
    private static void packB(float[] b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        for (int jr = 0; jr < nc; jr += NRF) {
            int w = Math.min(NRF, nc - jr), base = jr * kc;
            for (int p = 0; p < kc; p++) {
                int src = bo + p * brs + jr * bcs, dst = base + p * NRF;
                if (bcs == 1) System.arraycopy(b, src, bp, dst, w);
                else for (int j = 0; j < w; j++) bp[dst + j] = b[src + j * bcs];
            }
        }
    }

    /** A[i, p] for i < rows, p < kc, k-major: MR values per p. */
    private static void packA(float[] a, int ao, int ars, int acs, int rows, int kc, float[] ap) {
        // Whole slivers (all but the last) in one pass that writes ap in order; the general
        // loop below writes it with a stride of MR. Spelled out for MR = 6.
        if (MR == 6 && rows == MR) {
            int a0 = ao, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
            for (int p = 0, d = 0, o = 0; p < kc; p++, d += MR, o += acs) {
                ap[d] = a[a0 + o]; ap[d + 1] = a[a1 + o]; ap[d + 2] = a[a2 + o];
                ap[d + 3] = a[a3 + o]; ap[d + 4] = a[a4 + o]; ap[d + 5] = a[a5 + o];
            }
            return;
        }
        for (int i = 0; i < rows; i++) {
            int src = ao + i * ars;
            for (int p = 0; p < kc; p++) ap[p * MR + i] = a[src + p * acs];
        }
    }

    private static void tile(int kc, float[] ap, float[] bp, int boff, float[] c, int coff, int ldc,
                             boolean add, int rows, int cols, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int p = 0, ai = 0, bi = boff; p < kc; p++, ai += MR, bi += NRF) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi), b1 = FloatVector.fromArray(F, bp, bi + FL);
            FloatVector b2 = FloatVector.fromArray(F, bp, bi + 2 * FL), b3 = FloatVector.fromArray(F, bp, bi + 3 * FL);
            FloatVector x = FloatVector.broadcast(F, ap[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        // The tile goes through a small buffer rather than straight into C: C2 stops
        // inlining Vector API calls past a per-method budget, and 24 more loads, adds and
        // stores here would push the loop's broadcasts out of it (boxed vectors, 10x slower).
        c00.intoArray(tile, 0); c01.intoArray(tile, FL); c02.intoArray(tile, 2 * FL); c03.intoArray(tile, 3 * FL);
        c10.intoArray(tile, NRF); c11.intoArray(tile, NRF + FL); c12.intoArray(tile, NRF + 2 * FL); c13.intoArray(tile, NRF + 3 * FL);
        c20.intoArray(tile, 2 * NRF); c21.intoArray(tile, 2 * NRF + FL); c22.intoArray(tile, 2 * NRF + 2 * FL); c23.intoArray(tile, 2 * NRF + 3 * FL);
        c30.intoArray(tile, 3 * NRF); c31.intoArray(tile, 3 * NRF + FL); c32.intoArray(tile, 3 * NRF + 2 * FL); c33.intoArray(tile, 3 * NRF + 3 * FL);
        c40.intoArray(tile, 4 * NRF); c41.intoArray(tile, 4 * NRF + FL); c42.intoArray(tile, 4 * NRF + 2 * FL); c43.intoArray(tile, 4 * NRF + 3 * FL);
        c50.intoArray(tile, 5 * NRF); c51.intoArray(tile, 5 * NRF + FL); c52.intoArray(tile, 5 * NRF + 2 * FL); c53.intoArray(tile, 5 * NRF + 3 * FL);
        flush(tile, c, coff, ldc, add, rows, cols);
    }

    /**
     * An MR x FL tile (one vector of columns), for the last panel of B when it is partial:
     * a whole tile there would multiply up to NRF - 1 columns of padding. Each element of C
     * gets the same fused multiply-adds in the same order as in {@link #tile}, so results do
     * not depend on which of the two computed it.
     */
    private static void narrowTile(int kc, float[] ap, float[] bp, int boff, float[] c, int coff, int ldc,
                                   boolean add, int rows, int cols, float[] tile) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        for (int p = 0, ai = 0, bi = boff; p < kc; p++, ai += MR, bi += NRF) {
            FloatVector b = FloatVector.fromArray(F, bp, bi);
            c0 = FloatVector.broadcast(F, ap[ai]).fma(b, c0);
            c1 = FloatVector.broadcast(F, ap[ai + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(F, ap[ai + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(F, ap[ai + 3]).fma(b, c3);
            c4 = FloatVector.broadcast(F, ap[ai + 4]).fma(b, c4);
            c5 = FloatVector.broadcast(F, ap[ai + 5]).fma(b, c5);
        }
        c0.intoArray(tile, 0); c1.intoArray(tile, NRF); c2.intoArray(tile, 2 * NRF);
        c3.intoArray(tile, 3 * NRF); c4.intoArray(tile, 4 * NRF); c5.intoArray(tile, 5 * NRF);
        flush(tile, c, coff, ldc, add, rows, cols);
    }

    /** C[i, j] (+)= tile[i, j] for the valid part of a tile. */
    private static void flush(float[] tile, float[] c, int coff, int ldc, boolean add, int rows, int cols) {
        int whole = cols == NRF ? NRF : 0;
        for (int i = 0; i < rows; i++) {
            int at = coff + i * ldc, t = i * NRF, j = 0;
            for (; j < whole; j += FL) {
                FloatVector v = FloatVector.fromArray(F, tile, t + j);
                (add ? v.add(FloatVector.fromArray(F, c, at + j)) : v).intoArray(c, at + j);
            }
            for (; j < cols; j++) c[at + j] = add ? c[at + j] + tile[t + j] : tile[t + j];
        }
    }

    // ---- double ------------------------------------------------------------------------

    private static void doubles(int n, int k, double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                                double[] c, int co, int i0, int i1, int j0, int j1) {
        double[][] buf = DOUBLE_BUFFERS.get();
        double[] bp = buf[0], ap = buf[1], tile = buf[2];
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                for (int ir = i0; ir < i1; ir += MR) {
                    int rows = Math.min(MR, i1 - ir);
                    packA(a, ao + ir * ars + pc * acs, ars, acs, rows, kc, ap);
                    int whole = nc - nc % NRD;
                    for (int jr = 0; jr < whole; jr += NRD)
                        tile(kc, ap, bp, jr * kc, c, co + ir * n + jc + jr, n, pc > 0, rows, NRD, tile);
                    for (int jv = whole; jv < nc; jv += DL) // the last, partial panel: one vector of columns at a time
                        narrowTile(kc, ap, bp, whole * kc + (jv - whole), c, co + ir * n + jc + jv, n, pc > 0, rows, Math.min(DL, nc - jv), tile);
                }
            }
        }
    }

    private static void packB(double[] b, int bo, int brs, int bcs, int kc, int nc, double[] bp) {
        for (int jr = 0; jr < nc; jr += NRD) {
            int w = Math.min(NRD, nc - jr), base = jr * kc;
            for (int p = 0; p < kc; p++) {
                int src = bo + p * brs + jr * bcs, dst = base + p * NRD;
                if (bcs == 1) System.arraycopy(b, src, bp, dst, w);
                else for (int j = 0; j < w; j++) bp[dst + j] = b[src + j * bcs];
            }
        }
    }

    private static void packA(double[] a, int ao, int ars, int acs, int rows, int kc, double[] ap) {
        // Whole slivers (all but the last) in one pass that writes ap in order; the general
        // loop below writes it with a stride of MR. Spelled out for MR = 6.
        if (MR == 6 && rows == MR) {
            int a0 = ao, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
            for (int p = 0, d = 0, o = 0; p < kc; p++, d += MR, o += acs) {
                ap[d] = a[a0 + o]; ap[d + 1] = a[a1 + o]; ap[d + 2] = a[a2 + o];
                ap[d + 3] = a[a3 + o]; ap[d + 4] = a[a4 + o]; ap[d + 5] = a[a5 + o];
            }
            return;
        }
        for (int i = 0; i < rows; i++) {
            int src = ao + i * ars;
            for (int p = 0; p < kc; p++) ap[p * MR + i] = a[src + p * acs];
        }
    }

    private static void tile(int kc, double[] ap, double[] bp, int boff, double[] c, int coff, int ldc,
                             boolean add, int rows, int cols, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(D), c01 = c00, c02 = c00, c03 = c00;
        DoubleVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        DoubleVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        DoubleVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        DoubleVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int p = 0, ai = 0, bi = boff; p < kc; p++, ai += MR, bi += NRD) {
            DoubleVector b0 = DoubleVector.fromArray(D, bp, bi), b1 = DoubleVector.fromArray(D, bp, bi + DL);
            DoubleVector b2 = DoubleVector.fromArray(D, bp, bi + 2 * DL), b3 = DoubleVector.fromArray(D, bp, bi + 3 * DL);
            DoubleVector x = DoubleVector.broadcast(D, ap[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = DoubleVector.broadcast(D, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = DoubleVector.broadcast(D, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = DoubleVector.broadcast(D, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = DoubleVector.broadcast(D, ap[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = DoubleVector.broadcast(D, ap[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        // The tile goes through a small buffer rather than straight into C: C2 stops
        // inlining Vector API calls past a per-method budget, and 24 more loads, adds and
        // stores here would push the loop's broadcasts out of it (boxed vectors, 10x slower).
        c00.intoArray(tile, 0); c01.intoArray(tile, DL); c02.intoArray(tile, 2 * DL); c03.intoArray(tile, 3 * DL);
        c10.intoArray(tile, NRD); c11.intoArray(tile, NRD + DL); c12.intoArray(tile, NRD + 2 * DL); c13.intoArray(tile, NRD + 3 * DL);
        c20.intoArray(tile, 2 * NRD); c21.intoArray(tile, 2 * NRD + DL); c22.intoArray(tile, 2 * NRD + 2 * DL); c23.intoArray(tile, 2 * NRD + 3 * DL);
        c30.intoArray(tile, 3 * NRD); c31.intoArray(tile, 3 * NRD + DL); c32.intoArray(tile, 3 * NRD + 2 * DL); c33.intoArray(tile, 3 * NRD + 3 * DL);
        c40.intoArray(tile, 4 * NRD); c41.intoArray(tile, 4 * NRD + DL); c42.intoArray(tile, 4 * NRD + 2 * DL); c43.intoArray(tile, 4 * NRD + 3 * DL);
        c50.intoArray(tile, 5 * NRD); c51.intoArray(tile, 5 * NRD + DL); c52.intoArray(tile, 5 * NRD + 2 * DL); c53.intoArray(tile, 5 * NRD + 3 * DL);
        flush(tile, c, coff, ldc, add, rows, cols);
    }

    /**
     * An MR x DL tile (one vector of columns), for the last panel of B when it is partial:
     * a whole tile there would multiply up to NRD - 1 columns of padding. Each element of C
     * gets the same fused multiply-adds in the same order as in {@link #tile}, so results do
     * not depend on which of the two computed it.
     */
    private static void narrowTile(int kc, double[] ap, double[] bp, int boff, double[] c, int coff, int ldc,
                                   boolean add, int rows, int cols, double[] tile) {
        DoubleVector c0 = DoubleVector.zero(D), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        for (int p = 0, ai = 0, bi = boff; p < kc; p++, ai += MR, bi += NRD) {
            DoubleVector b = DoubleVector.fromArray(D, bp, bi);
            c0 = DoubleVector.broadcast(D, ap[ai]).fma(b, c0);
            c1 = DoubleVector.broadcast(D, ap[ai + 1]).fma(b, c1);
            c2 = DoubleVector.broadcast(D, ap[ai + 2]).fma(b, c2);
            c3 = DoubleVector.broadcast(D, ap[ai + 3]).fma(b, c3);
            c4 = DoubleVector.broadcast(D, ap[ai + 4]).fma(b, c4);
            c5 = DoubleVector.broadcast(D, ap[ai + 5]).fma(b, c5);
        }
        c0.intoArray(tile, 0); c1.intoArray(tile, NRD); c2.intoArray(tile, 2 * NRD);
        c3.intoArray(tile, 3 * NRD); c4.intoArray(tile, 4 * NRD); c5.intoArray(tile, 5 * NRD);
        flush(tile, c, coff, ldc, add, rows, cols);
    }

    /** C[i, j] (+)= tile[i, j] for the valid part of a tile. */
    private static void flush(double[] tile, double[] c, int coff, int ldc, boolean add, int rows, int cols) {
        int whole = cols == NRD ? NRD : 0;
        for (int i = 0; i < rows; i++) {
            int at = coff + i * ldc, t = i * NRD, j = 0;
            for (; j < whole; j += DL) {
                DoubleVector v = DoubleVector.fromArray(D, tile, t + j);
                (add ? v.add(DoubleVector.fromArray(D, c, at + j)) : v).intoArray(c, at + j);
            }
            for (; j < cols; j++) c[at + j] = add ? c[at + j] + tile[t + j] : tile[t + j];
        }
    }
}
