package dev.proxima.optim;

import dev.proxima.tensor.NDArray;

/**
 * The inverse of a dense symmetric positive-definite matrix in float64: Cholesky
 * factorization {@code M = L Lᵀ}, the inverse of the triangle, and {@code M⁻¹ = L⁻ᵀ L⁻¹}. It is
 * KFAC's one matrix inverse — the cost APO-Precond avoids — and fails loudly, never silently,
 * on a matrix that is not positive definite.
 *
 * <p>Both steps recurse on 2x2 blocks so that almost all the work is matrix products on the
 * tensor matmul kernel, with the plain loops kept for blocks of at most {@link #BLOCK} rows:
 * <pre>
 *   chol([[A11, ·], [A21, A22]]):  L11 = chol(A11);  L21 = A21 · L11⁻ᵀ;  L22 = chol(A22 − L21 L21ᵀ)
 *   inv([[L11, 0], [L21, L22]]):   X11 = L11⁻¹;  X22 = L22⁻¹;  X21 = −X22 · L21 · X11
 * </pre>
 * (A KFAC factor of a 3136-input layer is 3137 x 3137; the loops alone took tens of seconds.)
 */
final class SpdInverse {
    /** Blocks at most this large are done with plain loops. */
    static final int BLOCK = 96;

    private SpdInverse() {}

    /**
     * {@code m⁻¹} for the row-major {@code n x n} matrix {@code m} (only its lower triangle is
     * read). {@code what} names the matrix in the error.
     */
    static double[] invert(double[] m, int n, String what) {
        return invert(m, n, what, BLOCK);
    }

    static double[] invert(double[] m, int n, String what, int block) {
        if (m.length != n * n) throw new IllegalArgumentException(what + ": " + m.length + " values for a " + n + "x" + n + " matrix");
        NDArray l = cholesky(NDArray.of(m, n, n), 0, what, block);
        NDArray x = lowerInverse(l, block);
        return x.mT().matmul(x).toDoubleArray();
    }

    /** The lower Cholesky factor; {@code offset} is where this block sits, for the error. */
    private static NDArray cholesky(NDArray a, int offset, String what, int block) {
        int n = a.shape(0);
        if (n <= block) return NDArray.of(choleskyLoops(a.toDoubleArray(), n, offset, what), n, n);
        int h = n / 2;
        NDArray l11 = cholesky(a.slice(0, 0, h).slice(1, 0, h).contiguous(), offset, what, block);
        NDArray l21 = a.slice(0, h, n).slice(1, 0, h).matmul(lowerInverse(l11, block).mT());
        NDArray schur = a.slice(0, h, n).slice(1, h, n).sub(l21.matmul(l21.mT()));
        NDArray l22 = cholesky(schur.contiguous(), offset + h, what, block);
        return assemble(l11, l21, l22);
    }

    /** The inverse of a lower-triangular matrix (itself lower triangular). */
    private static NDArray lowerInverse(NDArray l, int block) {
        int n = l.shape(0);
        if (n <= block) return NDArray.of(lowerInverseLoops(l.toDoubleArray(), n), n, n);
        int h = n / 2;
        NDArray x11 = lowerInverse(l.slice(0, 0, h).slice(1, 0, h).contiguous(), block);
        NDArray x22 = lowerInverse(l.slice(0, h, n).slice(1, h, n).contiguous(), block);
        NDArray x21 = x22.matmul(l.slice(0, h, n).slice(1, 0, h).matmul(x11)).neg();
        return assemble(x11, x21, x22);
    }

    /** {@code [[b11, 0], [b21, b22]]} as one contiguous float64 matrix. */
    private static NDArray assemble(NDArray b11, NDArray b21, NDArray b22) {
        int h = b11.shape(0), n = h + b22.shape(0);
        double[] out = new double[n * n];
        double[] p11 = b11.toDoubleArray(), p21 = b21.toDoubleArray(), p22 = b22.toDoubleArray();
        for (int i = 0; i < h; i++) System.arraycopy(p11, i * h, out, i * n, h);
        for (int i = 0; i < n - h; i++) {
            System.arraycopy(p21, i * h, out, (h + i) * n, h);
            System.arraycopy(p22, i * (n - h), out, (h + i) * n + h, n - h);
        }
        return NDArray.of(out, n, n);
    }

    private static double[] choleskyLoops(double[] m, int n, int offset, String what) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = m[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0))
                throw new IllegalArgumentException(what + ": matrix is not positive definite (pivot " + (offset + j) + " is " + d
                        + "); increase the damping");
            double ljj = Math.sqrt(d);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = m[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / ljj;
            }
        }
        return l;
    }

    /** Forward substitution, row by row: row i of L⁻¹ from the rows above it. */
    private static double[] lowerInverseLoops(double[] l, int n) {
        double[] li = new double[n * n];
        for (int i = 0; i < n; i++) {
            double inv = 1 / l[i * n + i];
            li[i * n + i] = inv;
            for (int k = 0; k < i; k++) {
                double c = l[i * n + k];
                if (c == 0) continue;
                for (int j = 0; j <= k; j++) li[i * n + j] -= c * li[k * n + j];
            }
            for (int j = 0; j < i; j++) li[i * n + j] *= inv;
        }
        return li;
    }
}
