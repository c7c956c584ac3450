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

    /** Rows of C one {@link #shiftedRows} tile computes (5). */
    int weightRows();

    /** Columns of C one tile computes. */
    int cols();

    /**
     * The forward tile: {@code C[r][j] = (more ? C[r][j] : 0) + Σ_{p<depth} a[a0 + r·lda + p] ·
     * x[x0 + off[p] + j]} for r < rows, j < cols, row r of C at {@code c0 + r·ldc}. A is the
     * packed weight, x the padded image, off[p] where kernel tap p's row starts.
     */
    void shiftedColumns(int depth, float[] a, int a0, int lda, float[] x, int[] off, int x0, float[] c, int c0, int ldc, boolean more);

    /**
     * The weight-gradient tile: {@code C[r][j] = (more ? C[r][j] : 0) + Σ_{p<depth} x[x_r + p] ·
     * b[b0 + p·ldb + j]} for 5 rows r starting at x0..x4 in the padded image, j < cols.
     */
    void shiftedRows(int depth, float[] x, int x0, int x1, int x2, int x3, int x4, float[] b, int b0, int ldb, float[] c, int c0, int ldc, boolean more);
}
