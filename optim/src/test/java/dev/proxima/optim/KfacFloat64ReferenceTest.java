package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * KFAC in float64 over several steps (running factors, inverses every T steps, factored
 * damping, KL clipping, momentum) against a reference in plain double arithmetic on one
 * linear layer with a bias and a half squared error: the factors, their damped inverses
 * (Gauss-Jordan here, Cholesky in Kfac), the clipping and the momentum written out by hand.
 * The damping is kept large enough (>= 0.1) for the inverses to be well conditioned, so the
 * comparison can be at 1e-12; {@code KfacTest} covers small damping at one step.
 */
class KfacFloat64ReferenceTest {

    @Property(tries = 30)
    void kfacMatchesAFloat64ReferenceOverSeveralSteps(@ForAll @IntRange(min = 1, max = 4) int in, @ForAll @IntRange(min = 1, max = 3) int out,
                                                       @ForAll @IntRange(min = 2, max = 7) int n, @ForAll boolean factored,
                                                       @ForAll boolean clip, @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        double lr = 0.05 + 0.3 * r.nextDouble(), mom = r.nextBoolean() ? 0 : 0.9 * r.nextDouble(), damping = 0.1 + r.nextDouble();
        double statDecay = 0.5 + 0.49 * r.nextDouble(), klClip = clip ? 1e-3 + 1e-2 * r.nextDouble() : 0;
        int inverseEvery = 1 + r.nextInt(3), steps = 5;
        Kfac kfac = Kfac.builder().lr(lr).momentum(mom).damping(damping).statDecay(statDecay).klClip(klClip)
                .inverseEvery(inverseEvery).factoredDamping(factored).build();
        double[] w = gaussian(r, out * in, 0.5), b = gaussian(r, out, 0.1);
        Params params = Params.of("w", Tensor.of(w.clone(), out, in), "b", Tensor.of(b.clone(), out));
        Kfac.State state = kfac.init(params);

        int cols = in + 1;
        double[] a = null, g = null, aInv = null, gInv = null, buf = new double[out * cols];
        for (int step = 0; step < steps; step++) {
            double[] x = gaussian(r, n * in, 1), y = gaussian(r, n * out, 1);
            // Kfac on tensors
            Params leaves = params.requiresGrad();
            Tensor xs = Tensor.of(x, n, in), s = xs.matmul(leaves.get("w").mT()).add(leaves.get("b"));
            Tensor loss = s.sub(Tensor.of(y, n, out)).square().sum(1).mul(0.5).mean();
            Kfac.Gradients kg = Kfac.gradients(loss, leaves, List.of(new LayerTap("w", "b", xs, s)), n);
            Update<Kfac.State> u = kfac.update(kg.grads(), state, params, kg.curvature());
            params = u.applyTo(params);
            state = u.state();

            // the reference: residuals e = s − y; ∂loss/∂s = e / n; G's rows are N·∂loss/∂s = e
            double[] e = new double[n * out], grad = new double[out * cols], aBatch = new double[cols * cols], gBatch = new double[out * out];
            for (int i = 0; i < n; i++) {
                double[] abar = new double[cols];
                System.arraycopy(x, i * in, abar, 0, in);
                abar[in] = 1;
                for (int o = 0; o < out; o++) {
                    double z = b[o];
                    for (int j = 0; j < in; j++) z += w[o * in + j] * x[i * in + j];
                    e[i * out + o] = z - y[i * out + o];
                }
                for (int p = 0; p < cols; p++) for (int q = 0; q < cols; q++) aBatch[p * cols + q] += abar[p] * abar[q] / n;
                for (int p = 0; p < out; p++) {
                    for (int q = 0; q < out; q++) gBatch[p * out + q] += e[i * out + p] * e[i * out + q] / n;
                    for (int c = 0; c < cols; c++) grad[p * cols + c] += e[i * out + p] / n * abar[c];
                }
            }
            double eps = Math.min(statDecay, 1 - 1.0 / (step + 1));
            a = a == null ? aBatch : mix(a, aBatch, eps);
            g = g == null ? gBatch : mix(g, gBatch, eps);
            if (step % inverseEvery == 0) {
                double pi = 1, root = Math.sqrt(damping);
                if (factored) {
                    double ta = trace(a, cols) / cols, tg = trace(g, out) / out;
                    if (ta > 0 && tg > 0) pi = Math.sqrt(ta / tg);
                }
                aInv = inverse(addDiagonal(a, cols, pi * root), cols);
                gInv = inverse(addDiagonal(g, out, root / pi), out);
            }
            double[] pre = matmul(matmul(gInv, grad, out, out, cols), aInv, out, cols, cols);
            double nu = 1, vg = 0;
            for (int i = 0; i < pre.length; i++) vg += pre[i] * grad[i];
            if (klClip > 0 && vg > 0) nu = Math.min(1, Math.sqrt(klClip / (lr * lr * vg)));
            for (int i = 0; i < pre.length; i++) {
                double d = pre[i] * nu;
                buf[i] = mom == 0 || step == 0 ? d : mom * buf[i] + d;
            }
            for (int o = 0; o < out; o++) {
                for (int j = 0; j < in; j++) w[o * in + j] -= lr * buf[o * cols + j];
                b[o] -= lr * buf[o * cols + in];
            }
            close(w, params.get("w").toDoubleArray(), "step " + step + " w");
            close(b, params.get("b").toDoubleArray(), "step " + step + " b");
        }
    }

    private static void close(double[] want, double[] got, String what) {
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-12 * (1 + Math.abs(want[i])), what + "[" + i + "]");
    }

    private static double[] gaussian(Random r, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * scale;
        return v;
    }

    private static double[] mix(double[] old, double[] batch, double eps) {
        double[] m = new double[old.length];
        for (int i = 0; i < m.length; i++) m[i] = eps * old[i] + (1 - eps) * batch[i];
        return m;
    }

    private static double trace(double[] m, int n) {
        double t = 0;
        for (int i = 0; i < n; i++) t += m[i * n + i];
        return t;
    }

    private static double[] addDiagonal(double[] m, int n, double d) {
        double[] r = m.clone();
        for (int i = 0; i < n; i++) r[i * n + i] += d;
        return r;
    }

    private static double[] matmul(double[] x, double[] y, int rows, int inner, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < inner; k++)
                for (int j = 0; j < cols; j++) out[i * cols + j] += x[i * inner + k] * y[k * cols + j];
        return out;
    }

    /** Gauss-Jordan elimination with partial pivoting (independent of Kfac's Cholesky). */
    private static double[] inverse(double[] m, int n) {
        double[] a = m.clone(), inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(a[i * n + c]) > Math.abs(a[piv * n + c])) piv = i;
            for (int j = 0; j < n; j++) {
                double t = a[c * n + j]; a[c * n + j] = a[piv * n + j]; a[piv * n + j] = t;
                t = inv[c * n + j]; inv[c * n + j] = inv[piv * n + j]; inv[piv * n + j] = t;
            }
            double d = a[c * n + c];
            for (int j = 0; j < n; j++) { a[c * n + j] /= d; inv[c * n + j] /= d; }
            for (int i = 0; i < n; i++) {
                if (i == c) continue;
                double f = a[i * n + c];
                if (f == 0) continue;
                for (int j = 0; j < n; j++) { a[i * n + j] -= f * a[c * n + j]; inv[i * n + j] -= f * inv[c * n + j]; }
            }
        }
        return inv;
    }
}
