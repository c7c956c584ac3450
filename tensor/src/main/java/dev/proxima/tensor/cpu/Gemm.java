package dev.proxima.tensor.cpu;

/**
 * General matrix multiply C = A B for one batch element. A is m x k with row stride
 * {@code ars} and column stride {@code acs}; B is k x n likewise; C is a contiguous m x n
 * block at {@code co} (row stride n) that is overwritten. Arrays are all {@code float[]} or
 * all {@code double[]}.
 */
final class Gemm {
    private Gemm() {}

    static void gemm(int m, int n, int k, Object a, int ao, int ars, int acs,
                     Object b, int bo, int brs, int bcs, Object c, int co) {
        if (a instanceof float[] af) {
            float[] bf = (float[]) b, cf = (float[]) c;
            for (int i = 0; i < m; i++) {
                int crow = co + i * n;
                java.util.Arrays.fill(cf, crow, crow + n, 0f);
                for (int p = 0; p < k; p++) {
                    float av = af[ao + i * ars + p * acs];
                    int brow = bo + p * brs;
                    for (int j = 0; j < n; j++) cf[crow + j] += av * bf[brow + j * bcs];
                }
            }
        } else {
            double[] ad = (double[]) a, bd = (double[]) b, cd = (double[]) c;
            for (int i = 0; i < m; i++) {
                int crow = co + i * n;
                java.util.Arrays.fill(cd, crow, crow + n, 0.0);
                for (int p = 0; p < k; p++) {
                    double av = ad[ao + i * ars + p * acs];
                    int brow = bo + p * brs;
                    for (int j = 0; j < n; j++) cd[crow + j] += av * bd[brow + j * bcs];
                }
            }
        }
    }
}
