package dev.proxima.tensor.cpu;

/**
 * The register tiles of {@link DirectConv}: a {@link #rows()} x {@link #cols()} block of C
 * accumulated over a depth, with one operand read through row offsets into a padded image.
 * Only the Vector API has them ({@code VectorConvTiles}); on the scalar path {@link Simd}
 * has none and convolutions take the im2col composition.
 */
interface ConvTiles {
    /** Rows of C one {@link #shiftedColumns} tile computes. */
    int rows();

    /** Columns of C one tile computes. */
    int cols();

    /**
     * The forward tile: {@code C[r][j] = (more ? C[r][j] : 0) + Σ_{p<depth} a[a0 + r·lda + p] ·
     * x[x0 + off[p] + j]} for r < rows, j < cols, row r of C at {@code c0 + r·ldc}. A is the
     * packed weight, x the padded image, off[p] where kernel tap p's row starts.
     */
    void shiftedColumns(int depth, float[] a, int a0, int lda, float[] x, int[] off, int x0, float[] c, int c0, int ldc, boolean more);

    /** Lanes of one vector: the width of {@link #dotTile}'s partial sums. */
    int lanes();

    /**
     * The weight-gradient tile, dot products taken lane-wise: for r < 4 rows of b (row r at
     * {@code b0 + r·ldb}) and t < 3 runs of x (at x0, x1, x2), the {@link #lanes()} partial
     * sums {@code C[(r·3 + t)·L + l] = (more ? C[...] : 0) + Σ_{p < depth/L} b[row_r + p·L + l]
     * · x[x_t + p·L + l]}, C from c0. depth is a multiple of L.
     */
    void dotTile(int depth, float[] b, int b0, int ldb, float[] x, int x0, int x1, int x2, float[] c, int c0, boolean more);
}
