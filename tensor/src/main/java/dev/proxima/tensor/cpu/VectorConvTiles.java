package dev.proxima.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DirectConv}'s two register tiles on the Vector API (float32), loaded only through
 * {@link Simd}'s reflection. The forward tile is {@link VectorGemm}'s micro-kernel with one
 * operand read through row offsets into a zero-padded image instead of from a packed panel:
 * that is what makes im2col implicit. It is NR = 2 vectors wide (16 floats with AVX2, 32 with
 * AVX-512) and MR = 4 rows (output channels, mostly multiples of 4; measured faster than
 * 5 x 2 with positions as rows, whose output then needs a transposing copy), so that the
 * accumulators, 2 loads and the broadcasts stay within AVX2's 16 registers (see VectorGemm on
 * what spilling costs). A partial tile is computed on zero rows and thrown away.
 *
 * <p>The weight-gradient tile takes dot products along the positions instead: 4 rows of g by
 * 3 taps' runs of the padded image, both read in order, 12 accumulators of lane-wise partial
 * sums plus 3 + 1 loaded vectors (16 registers). Its operands need no transposed copy of g,
 * which the earlier 5 x 2 outer-product tile did, and which cost more than the products on
 * Models.cnn's conv1 (16 channels of 28x28).
 *
 * <p>Every element (every lane of a partial sum) is one chain of fused multiply-adds, p
 * ascending, from 0 or from C's value ({@code more}): where a tile runs never changes a bit.
 * No lane reduction here ({@code reduceLanes} has no specified order): DirectConv sums the
 * lanes in order.
 */
public final class VectorConvTiles implements ConvTiles {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int FL = F.length(), MR = 4, NR = 2 * FL;

    public VectorConvTiles() {}

    @Override public int rows() { return MR; }
    @Override public int lanes() { return FL; }
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
    public void dotTile(int depth, float[] b, int b0, int ldb, float[] x, int x0, int x1, int x2, float[] c, int c0, boolean more) {
        int b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (more) {
            c00 = FloatVector.fromArray(F, c, c0); c01 = FloatVector.fromArray(F, c, c0 + FL); c02 = FloatVector.fromArray(F, c, c0 + 2 * FL);
            c10 = FloatVector.fromArray(F, c, c0 + 3 * FL); c11 = FloatVector.fromArray(F, c, c0 + 4 * FL); c12 = FloatVector.fromArray(F, c, c0 + 5 * FL);
            c20 = FloatVector.fromArray(F, c, c0 + 6 * FL); c21 = FloatVector.fromArray(F, c, c0 + 7 * FL); c22 = FloatVector.fromArray(F, c, c0 + 8 * FL);
            c30 = FloatVector.fromArray(F, c, c0 + 9 * FL); c31 = FloatVector.fromArray(F, c, c0 + 10 * FL); c32 = FloatVector.fromArray(F, c, c0 + 11 * FL);
        } else {
            c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = FloatVector.zero(F);
        }
        for (int p = 0; p < depth; p += FL) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + p), v1 = FloatVector.fromArray(F, x, x1 + p), v2 = FloatVector.fromArray(F, x, x2 + p);
            FloatVector g = FloatVector.fromArray(F, b, b0 + p);
            c00 = g.fma(v0, c00); c01 = g.fma(v1, c01); c02 = g.fma(v2, c02);
            g = FloatVector.fromArray(F, b, b1 + p);
            c10 = g.fma(v0, c10); c11 = g.fma(v1, c11); c12 = g.fma(v2, c12);
            g = FloatVector.fromArray(F, b, b2 + p);
            c20 = g.fma(v0, c20); c21 = g.fma(v1, c21); c22 = g.fma(v2, c22);
            g = FloatVector.fromArray(F, b, b3 + p);
            c30 = g.fma(v0, c30); c31 = g.fma(v1, c31); c32 = g.fma(v2, c32);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + FL); c02.intoArray(c, c0 + 2 * FL);
        c10.intoArray(c, c0 + 3 * FL); c11.intoArray(c, c0 + 4 * FL); c12.intoArray(c, c0 + 5 * FL);
        c20.intoArray(c, c0 + 6 * FL); c21.intoArray(c, c0 + 7 * FL); c22.intoArray(c, c0 + 8 * FL);
        c30.intoArray(c, c0 + 9 * FL); c31.intoArray(c, c0 + 10 * FL); c32.intoArray(c, c0 + 11 * FL);
    }
}
