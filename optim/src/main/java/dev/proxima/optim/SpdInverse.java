package dev.proxima.optim;

import dev.proxima.tensor.NDArray;

/**
 * The inverse of a dense symmetric positive-definite matrix in float64, by Cholesky
 * factorization {@code M = L Lᵀ}, triangular inversion, and {@code M⁻¹ = L⁻ᵀ L⁻¹} (the last
 * product on the tensor matmul kernel). It is KFAC's one matrix inverse — the cost APO-Precond
 * avoids — and fails loudly, never silently, on a matrix that is not positive definite.
 */
final class SpdInverse {
    private SpdInverse() {}

    /**
     * {@code m⁻¹} for the row-major {@code n x n} matrix {@code m} (only its lower triangle is
     * read). {@code what} names the matrix in the error.
     */
    static double[] invert(double[] m, int n, String what) {
        if (m.length != n * n) throw new IllegalArgumentException(what + ": " + m.length + " values for a " + n + "x" + n + " matrix");
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = m[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0))
                throw new IllegalArgumentException(what + ": matrix of size " + n + " is not positive definite (pivot " + j + " is " + d
                        + "); increase the damping");
            double ljj = Math.sqrt(d);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = m[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = s / ljj;
            }
        }
        // L⁻¹ is lower triangular; row i from the rows above it (forward substitution on rows).
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
        NDArray linv = NDArray.of(li, n, n);
        return linv.mT().matmul(linv).toDoubleArray();
    }
}
