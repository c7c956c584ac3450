package dev.proxima.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DirectConv}'s two register tiles on the Vector API (float32), loaded only through
 * {@link Simd}'s reflection. Each is {@link VectorGemm}'s micro-kernel with one operand read
 * through row offsets into a zero-padded image instead of from a packed panel: that is what
 * makes im2col implicit. Tiles are NR = 2 vectors wide (16 floats with AVX2, 32 with
 * AVX-512), so that the accumulators, 2 loads and the broadcasts stay within AVX2's 16
 * registers (see VectorGemm on what spilling costs). A partial tile is computed on zero rows
 * and thrown away. The forward tile has MR = 4 rows (output channels, mostly multiples of 4;
 * measured faster than 5 x 2 with positions as rows, whose output then needs a transposing
 * copy); the weight tile has 5 (taps: 144 = 5 x 29 - 1), 10 accumulators, which hide the FMA
 * latency better than 8 (measured 10% faster on Models.cnn's conv2, one thread).
 *
 * <p>Every element of C is one chain of fused multiply-adds, p ascending, from 0 or from C's
 * value ({@code more}): where a tile runs never changes a bit.
 */
public final class VectorConvTiles implements ConvTiles {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int FL = F.length(), MR = 4, WEIGHT_ROWS = 5, NR = 2 * FL;

    public VectorConvTiles() {}

    @Override public int rows() { return MR; }
    @Override public int weightRows() { return WEIGHT_ROWS; }
    @Override public int cols() { return NR; }

    @Override
    public void shiftedColumns(int depth, float[] a, int a0, int lda, float[] x, int[] off, int x0, float[] c, int c0, int ldc, boolean more) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (more) {
            c00 = FloatVector.fromArray(F, c, c0); c01 = FloatVector.fromArray(F, c, c0 + FL);
            c10 = FloatVector.fromArray(F, c, r1); c11 = FloatVector.fromArray(F, c, r1 + FL);
            c20 = FloatVector.fromArray(F, c, r2); c21 = FloatVector.fromArray(F, c, r2 + FL);
            c30 = FloatVector.fromArray(F, c, r3); c31 = FloatVector.fromArray(F, c, r3 + FL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
        }
        for (int p = 0; p < depth; p++) {
            int s = x0 + off[p];
            FloatVector b0 = FloatVector.fromArray(F, x, s), b1 = FloatVector.fromArray(F, x, s + FL);
            FloatVector v = FloatVector.broadcast(F, a[a0 + p]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(F, a[a1 + p]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(F, a[a2 + p]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(F, a[a3 + p]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + FL);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + FL);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + FL);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + FL);
    }

    @Override
    public void shiftedRows(int depth, float[] x, int x0, int x1, int x2, int x3, int x4, float[] b, int b0, int ldb, float[] c, int c0, int ldc, boolean more) {
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (more) {
            c00 = FloatVector.fromArray(F, c, c0); c01 = FloatVector.fromArray(F, c, c0 + FL);
            c10 = FloatVector.fromArray(F, c, r1); c11 = FloatVector.fromArray(F, c, r1 + FL);
            c20 = FloatVector.fromArray(F, c, r2); c21 = FloatVector.fromArray(F, c, r2 + FL);
            c30 = FloatVector.fromArray(F, c, r3); c31 = FloatVector.fromArray(F, c, r3 + FL);
            c40 = FloatVector.fromArray(F, c, r4); c41 = FloatVector.fromArray(F, c, r4 + FL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = FloatVector.zero(F);
        }
        for (int p = 0; p < depth; p++) {
            int j = b0 + p * ldb;
            FloatVector v0 = FloatVector.fromArray(F, b, j), v1 = FloatVector.fromArray(F, b, j + FL);
            FloatVector v = FloatVector.broadcast(F, x[x0 + p]);
            c00 = v.fma(v0, c00); c01 = v.fma(v1, c01);
            v = FloatVector.broadcast(F, x[x1 + p]);
            c10 = v.fma(v0, c10); c11 = v.fma(v1, c11);
            v = FloatVector.broadcast(F, x[x2 + p]);
            c20 = v.fma(v0, c20); c21 = v.fma(v1, c21);
            v = FloatVector.broadcast(F, x[x3 + p]);
            c30 = v.fma(v0, c30); c31 = v.fma(v1, c31);
            v = FloatVector.broadcast(F, x[x4 + p]);
            c40 = v.fma(v0, c40); c41 = v.fma(v1, c41);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + FL);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + FL);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + FL);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + FL);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + FL);
    }
}
