package dev.proxima.optim;

/**
 * Plain double-array implementations of the update rules, written from PyTorch's documented
 * algorithms element by element, for the tests to compare the Tensor rules with. Every rule
 * here is elementwise, so a parameter tree is one flat array (the concatenation). Public for
 * the APO tests (package {@code optim.apo}), which build their float64 reference from them.
 */
public final class ReferenceOptimizers {
    private ReferenceOptimizers() {}

    public interface Ref {
        /** One step in place: {@code p} becomes the next parameters. */
        void step(double[] p, double[] g);
    }

    public static Ref sgd(int n, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        double[] buf = new double[n];
        long[] step = {0};
        return (p, g) -> {
            for (int i = 0; i < n; i++) {
                double d = g[i] + weightDecay * p[i];
                if (momentum != 0) {
                    buf[i] = step[0] == 0 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
            step[0]++;
        };
    }

    public static Ref adam(int n, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled, double epsRoot, boolean amsgrad) {
        double[] m = new double[n], v = new double[n], vMax = new double[n];
        long[] step = {0};
        return (p, g) -> {
            long t = ++step[0];
            double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
            for (int i = 0; i < n; i++) {
                double gi = g[i];
                if (decoupled) p[i] *= 1 - lr * weightDecay;
                else gi += weightDecay * p[i];
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                vMax[i] = Math.max(vMax[i], v[i]);
                double second = amsgrad ? vMax[i] : v[i];
                double denom = epsRoot == 0 ? Math.sqrt(second) / Math.sqrt(bc2) + eps : Math.sqrt(second / bc2 + epsRoot) + eps;
                p[i] -= lr / bc1 * m[i] / denom;
            }
        };
    }

    public static Ref rmsProp(int n, double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        double[] sq = new double[n], avg = new double[n], buf = new double[n];
        return (p, g) -> {
            for (int i = 0; i < n; i++) {
                double gi = g[i] + weightDecay * p[i];
                sq[i] = alpha * sq[i] + (1 - alpha) * gi * gi;
                double var = sq[i];
                if (centered) {
                    avg[i] = alpha * avg[i] + (1 - alpha) * gi;
                    var -= avg[i] * avg[i];
                }
                double denom = Math.sqrt(var) + eps;
                if (momentum != 0) {
                    buf[i] = momentum * buf[i] + gi / denom;
                    p[i] -= lr * buf[i];
                } else {
                    p[i] -= lr * gi / denom;
                }
            }
        };
    }

    public static Ref adagrad(int n, double lr, double lrDecay, double eps, double weightDecay, double initial) {
        double[] sum = new double[n];
        java.util.Arrays.fill(sum, initial);
        long[] step = {0};
        return (p, g) -> {
            double clr = lr / (1 + step[0]++ * lrDecay);
            for (int i = 0; i < n; i++) {
                double gi = g[i] + weightDecay * p[i];
                sum[i] += gi * gi;
                p[i] -= clr * gi / (Math.sqrt(sum[i]) + eps);
            }
        };
    }
}
