package dev.proxima.optim.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.AdamW;
import dev.proxima.optim.ReferenceOptimizers;
import dev.proxima.optim.RmsProp;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.UpdateRule;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Whole APO runs in float64 (meta-steps and real steps, several of each) against a reference
 * written here in plain {@code double} arithmetic: a linear softmax classifier
 * {@code z = x·Wᵀ + b} with cross-entropy, ρ = KL and a weight-space term, whose gradient
 * ∂Q/∂θ' has a closed form, so the meta-gradient of APO-LR (global and per layer, over optim's
 * Sgd, Adam, AdamW and RmsProp, whose directions come from {@link ReferenceOptimizers}) and of
 * APO-Precond (full and diagonal factors, a bias factor, η) is the chain rule written out by
 * hand, and the meta-optimizer is the reference Adam. Nothing here goes through Tensor code.
 * A float32 meta step size (float32(0.1) = 0.10000000149) moves φ by 1.5e-9 relative per
 * meta-step and fails these checks; they hold to 1e-12.
 */
class ApoFloat64ReferenceTest {
    private static final double TOL = 1e-12;
    private static final String W = "w.weight", B = "c.bias";

    /** The problem's sizes and data source. */
    private record Setup(int classes, int features, int rows, int metaRows, Random r, Rng rng) {
        double[] randn(int n, double scale) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * scale;
            return v;
        }

        double[] oneHot(int n) {
            double[] v = new double[n * classes];
            for (int i = 0; i < n; i++) v[i * classes + r.nextInt(classes)] = 1;
            return v;
        }
    }

    private static final BiFunction<Params, Tensor, Tensor> LINEAR = (p, x) -> x.matmul(p.get(W).mT()).add(p.get(B));

    private static Tensor t(double[] v, int... shape) {
        return Tensor.of(v, shape);
    }

    // ---- the reference: plain double arithmetic ------------------------------------------

    /** Row-wise log-softmax of {@code x·Wᵀ + b}. */
    private static double[] logSoftmax(double[] x, int rows, double[] w, double[] b, int c, int d) {
        double[] out = new double[rows * c];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                double z = b[k];
                for (int j = 0; j < d; j++) z += x[r * d + j] * w[k * d + j];
                out[r * c + k] = z;
                max = Math.max(max, z);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) sum += Math.exp(out[r * c + k] - max);
            double lse = max + Math.log(sum);
            for (int k = 0; k < c; k++) out[r * c + k] -= lse;
        }
        return out;
    }

    /**
     * Adds {@code scale · Σ_r coef[r]ᵀ [x_r, 1]} to (gw, gb): the gradient of a loss with
     * ∂/∂z = coef through z = x·Wᵀ + b.
     */
    private static void backLinear(double[] coef, double[] x, int rows, int c, int d, double[] gw, double[] gb) {
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c; k++) {
                double e = coef[r * c + k];
                gb[k] += e;
                for (int j = 0; j < d; j++) gw[k * d + j] += e * x[r * d + j];
            }
    }

    /** ∇ of mean cross-entropy at (w, b) on (x, y): returns {gw, gb}. */
    private static double[][] crossEntropyGrad(Setup s, double[] x, double[] y, double[] w, double[] b) {
        int c = s.classes(), d = s.features(), rows = y.length / c;
        double[] ls = logSoftmax(x, rows, w, b, c, d), coef = new double[rows * c];
        for (int i = 0; i < coef.length; i++) coef[i] = (Math.exp(ls[i]) - y[i]) / rows;
        double[] gw = new double[c * d], gb = new double[c];
        backLinear(coef, x, rows, c, d, gw, gb);
        return new double[][] {gw, gb};
    }

    /**
     * Q at θ' = (w1, b1) from θ = (w0, b0), and ∂Q/∂θ' (into gw, gb): cross-entropy on (x, y),
     * λ_FSD·mean_r KL(softmax(z'(θ)) ‖ softmax(z'(θ'))) on xm, λ_WSD/2·‖θ' − θ‖².
     */
    private static double objective(Setup s, double[] x, double[] y, double[] xm, double lf, double lw,
                                    double[] w0, double[] b0, double[] w1, double[] b1, double[] gw, double[] gb) {
        int c = s.classes(), d = s.features(), rows = y.length / c, mrows = xm.length / d;
        double q = 0;
        double[] ls = logSoftmax(x, rows, w1, b1, c, d), coef = new double[rows * c];
        for (int i = 0; i < coef.length; i++) {
            q -= y[i] * ls[i] / rows;
            coef[i] = (Math.exp(ls[i]) - y[i]) / rows;
        }
        backLinear(coef, x, rows, c, d, gw, gb);
        double[] before = logSoftmax(xm, mrows, w0, b0, c, d), after = logSoftmax(xm, mrows, w1, b1, c, d);
        double[] mcoef = new double[mrows * c];
        for (int i = 0; i < mcoef.length; i++) {
            double p = Math.exp(before[i]);
            q += lf * p * (before[i] - after[i]) / mrows;
            mcoef[i] = lf * (Math.exp(after[i]) - p) / mrows;
        }
        backLinear(mcoef, xm, mrows, c, d, gw, gb);
        for (int i = 0; i < w1.length; i++) {
            q += lw / 2 * (w1[i] - w0[i]) * (w1[i] - w0[i]);
            gw[i] += lw * (w1[i] - w0[i]);
        }
        for (int i = 0; i < b1.length; i++) {
            q += lw / 2 * (b1[i] - b0[i]) * (b1[i] - b0[i]);
            gb[i] += lw * (b1[i] - b0[i]);
        }
        return q;
    }

    // ---- what Apo computed --------------------------------------------------------------

    /** Runs Apo on the same batches and records θ, φ and Q after every step. */
    private static <S> List<Snapshot> runApo(ApoRule<S> rule, ApoConfig config, Setup s, double[] w, double[] b, List<double[][]> batches) {
        int c = s.classes(), d = s.features();
        Apo<S> apo = new Apo<>(rule, LINEAR, ApoFixtures.CROSS_ENTROPY, Params.of(W, t(w, c, d), B, t(b, c)), config);
        double[] q = {Double.NaN};
        apo.addListener(st -> q[0] = st.metaObjective());
        List<Snapshot> out = new ArrayList<>();
        for (double[][] batch : batches) {
            apo.step(t(batch[0], batch[1].length / c, d), t(batch[1], batch[1].length / c, c), t(batch[2], batch[2].length / d, d));
            Map<String, double[]> meta = new LinkedHashMap<>();
            for (var e : apo.meta()) meta.put(e.getKey(), e.getValue().toDoubleArray());
            out.add(new Snapshot(apo.params().get(W).toDoubleArray(), apo.params().get(B).toDoubleArray(), meta, q[0]));
        }
        return out;
    }

    private record Snapshot(double[] w, double[] b, Map<String, double[]> meta, double q) {}

    private static List<double[][]> batches(Setup s, int steps) {
        List<double[][]> out = new ArrayList<>();
        for (int i = 0; i < steps; i++)
            out.add(new double[][] {s.randn(s.rows() * s.features(), 1), s.oneHot(s.rows()), s.randn(s.metaRows() * s.features(), 1)});
        return out;
    }

    private static void close(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], TOL * (1 + Math.abs(want[i])), what + "[" + i + "]");
    }

    private static void compare(int step, double[] w, double[] b, Map<String, double[]> meta, double q, Snapshot got) {
        String at = "step " + step + ": ";
        close(w, got.w(), at + W);
        close(b, got.b(), at + B);
        for (var e : meta.entrySet()) close(e.getValue(), got.meta().get(e.getKey()), at + "φ " + e.getKey());
        if (Double.isNaN(q)) assertEquals(Double.NaN, got.q(), at + "no meta-step");
        else assertEquals(q, got.q(), TOL * (1 + Math.abs(q)), at + "Q");
    }

    private static Setup setup(long seed) {
        Random r = new Random(seed);
        return new Setup(2 + r.nextInt(3), 1 + r.nextInt(5), 3 + r.nextInt(6), 2 + r.nextInt(5), r, new Rng(seed));
    }

    private static ApoConfig.Builder randomConfig(Random r) {
        return ApoConfig.builder().metaInterval(1 + r.nextInt(2)).lambdaFsd(r.nextDouble()).lambdaWsd(r.nextDouble() * 0.5)
                .divergence(Divergence.KL).metaLr(0.05 + 0.1 * r.nextDouble()).precondMetaLr(1e-3 + 1e-2 * r.nextDouble())
                .metaBeta1(0.8 + 0.15 * r.nextDouble()).metaBeta2(0.99 + 0.009 * r.nextDouble()).metaEps(1e-8);
    }

    // ---- APO-LR -------------------------------------------------------------------------

    @Property(tries = 24)
    void apoLrMatchesAFloat64Reference(@ForAll @IntRange(max = 4) int base, @ForAll boolean perLayer,
                                       @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Setup s = setup(seed);
        Random r = s.r();
        int c = s.classes(), d = s.features(), n = c * d + c;
        double mom = 0.5 + 0.45 * r.nextDouble(), wd = r.nextDouble() * 0.05, b1 = 0.8 + 0.15 * r.nextDouble(), b2 = 0.99 + 0.009 * r.nextDouble();
        UpdateRule<?> rule;
        ReferenceOptimizers.Ref direction;
        switch (base) {
            case 0 -> { // SGD with momentum and dampening
                double damp = 0.3 * r.nextDouble();
                rule = Sgd.builder().lr(1).momentum(mom).dampening(damp).weightDecay(wd).build();
                direction = ReferenceOptimizers.sgd(n, 1, mom, damp, wd, false);
            }
            case 1 -> {
                rule = Sgd.builder().lr(1).momentum(mom).nesterov(true).weightDecay(wd).build();
                direction = ReferenceOptimizers.sgd(n, 1, mom, 0, wd, true);
            }
            case 2 -> {
                boolean ams = r.nextBoolean();
                rule = Adam.builder().lr(1).betas(b1, b2).eps(1e-6).weightDecay(wd).amsgrad(ams).build();
                direction = ReferenceOptimizers.adam(n, 1, b1, b2, 1e-6, wd, false, 0, ams);
            }
            case 3 -> {
                rule = AdamW.builder().lr(1).betas(b1, b2).eps(1e-6).weightDecay(wd).build();
                direction = ReferenceOptimizers.adam(n, 1, b1, b2, 1e-6, wd, true, 0, false);
            }
            default -> {
                boolean centered = r.nextBoolean();
                rule = RmsProp.builder().lr(1).alpha(b2).eps(1e-6).momentum(mom).centered(centered).build();
                direction = ReferenceOptimizers.rmsProp(n, 1, b2, 1e-6, 0, mom, centered);
            }
        }
        ApoConfig config = randomConfig(r).perLayerLr(perLayer).initialLr(0.01 + 0.1 * r.nextDouble()).build();
        double[] w = s.randn(c * d, 0.5), b = s.randn(c, 0.1);
        List<double[][]> data = batches(s, 5);
        List<Snapshot> got = runApo(ApoLr.over(rule, config), config, s, w, b, data);

        // the reference: φ = log η per meta-parameter ("lr", or "lr.w" and "lr.c")
        List<String> metaNames = perLayer ? List.of("lr.w", "lr.c") : List.of("lr");
        double[] phi = new double[metaNames.size()];
        java.util.Arrays.fill(phi, Math.log(config.initialLr()));
        ReferenceOptimizers.Ref metaAdam = ReferenceOptimizers.adam(phi.length, config.metaLr(), config.metaBeta1(), config.metaBeta2(),
                config.metaEps(), 0, false, 0, false);
        w = w.clone();
        b = b.clone();
        for (int step = 0; step < data.size(); step++) {
            double[] x = data.get(step)[0], y = data.get(step)[1], xm = data.get(step)[2];
            double[][] g = crossEntropyGrad(s, x, y, w, b);
            double[] flat = concat(w, b), moved = flat.clone();
            direction.step(moved, concat(g[0], g[1]));
            double[] dir = new double[n];
            for (int i = 0; i < n; i++) dir[i] = flat[i] - moved[i];
            double q = Double.NaN;
            if (step % config.metaInterval() == 0) {
                double etaW = Math.exp(phi[0]), etaB = Math.exp(phi[phi.length - 1]);
                double[] w1 = new double[c * d], b1v = new double[c];
                for (int i = 0; i < c * d; i++) w1[i] = w[i] - etaW * dir[i];
                for (int i = 0; i < c; i++) b1v[i] = b[i] - etaB * dir[c * d + i];
                double[] gw = new double[c * d], gb = new double[c];
                q = objective(s, x, y, xm, config.lambdaFsd(), config.lambdaWsd(), w, b, w1, b1v, gw, gb);
                double dW = 0, dB = 0; // ∂Q/∂log η of each layer: Σ G ⊙ (−η d)
                for (int i = 0; i < c * d; i++) dW -= gw[i] * etaW * dir[i];
                for (int i = 0; i < c; i++) dB -= gb[i] * etaB * dir[c * d + i];
                metaAdam.step(phi, perLayer ? new double[] {dW, dB} : new double[] {dW + dB});
            }
            double etaW = Math.exp(phi[0]), etaB = Math.exp(phi[phi.length - 1]);
            for (int i = 0; i < c * d; i++) w[i] -= etaW * dir[i];
            for (int i = 0; i < c; i++) b[i] -= etaB * dir[c * d + i];
            Map<String, double[]> meta = new LinkedHashMap<>();
            for (int i = 0; i < phi.length; i++) meta.put(metaNames.get(i), new double[] {phi[i]});
            compare(step, w, b, meta, q, got.get(step));
        }
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---- APO-Precond --------------------------------------------------------------------

    @Property(tries = 24)
    void apoPrecondMatchesAFloat64Reference(@ForAll boolean momentum, @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Setup s = setup(seed);
        Random r = s.r();
        int c = s.classes(), d = s.features();
        // a random maxDim makes some sides diagonal (l., r.) and others full (L., R.)
        ApoConfig config = randomConfig(r).precondMaxDim(1 + r.nextInt(5)).precondMomentum(momentum ? 0.5 + 0.45 * r.nextDouble() : 0)
                .initialLr(0.01 + 0.2 * r.nextDouble()).build();
        double[] w = s.randn(c * d, 0.5), b = s.randn(c, 0.1);
        List<double[][]> data = batches(s, 5);
        List<Snapshot> got = runApo(new ApoPrecond(config), config, s, w, b, data);

        boolean fullL = c <= config.precondMaxDim(), fullR = d <= config.precondMaxDim();
        double[] logEta = {Math.log(config.initialLr())};
        double[] left = fullL ? eye(c) : ones(c), right = fullR ? eye(d) : ones(d), biasFactor = ones(c);
        ReferenceOptimizers.Ref etaAdam = ReferenceOptimizers.adam(1, config.metaLr(), config.metaBeta1(), config.metaBeta2(), config.metaEps(), 0, false, 0, false);
        ReferenceOptimizers.Ref factorAdam = ReferenceOptimizers.adam(left.length + right.length + c, config.precondMetaLr(),
                config.metaBeta1(), config.metaBeta2(), config.metaEps(), 0, false, 0, false);
        double mu = config.precondMomentum();
        double[] mw = new double[c * d], mb = new double[c];
        w = w.clone();
        b = b.clone();
        for (int step = 0; step < data.size(); step++) {
            double[] x = data.get(step)[0], y = data.get(step)[1], xm = data.get(step)[2];
            double[][] g = crossEntropyGrad(s, x, y, w, b);
            for (int i = 0; i < c * d; i++) mw[i] = mu * mw[i] + g[0][i]; // a momentum sum, m ← μ·m + g
            for (int i = 0; i < c; i++) mb[i] = mu * mb[i] + g[1][i];
            double q = Double.NaN;
            if (step % config.metaInterval() == 0) {
                double eta = Math.exp(logEta[0]);
                double[] lm = applyLeft(left, fullL, mw, c, d), lmr = applyRight(right, fullR, lm, c, d), mr = applyRight(right, fullR, mw, c, d);
                double[] w1 = new double[c * d], b1 = new double[c];
                for (int i = 0; i < c * d; i++) w1[i] = w[i] - eta * lmr[i];
                for (int i = 0; i < c; i++) b1[i] = b[i] - eta * biasFactor[i] * mb[i];
                double[] gw = new double[c * d], gb = new double[c];
                q = objective(s, x, y, xm, config.lambdaFsd(), config.lambdaWsd(), w, b, w1, b1, gw, gb);
                double dEta = 0;
                for (int i = 0; i < c * d; i++) dEta -= gw[i] * eta * lmr[i];
                for (int i = 0; i < c; i++) dEta -= gb[i] * eta * biasFactor[i] * mb[i];
                double[] dLeft = new double[left.length], dRight = new double[right.length], dBias = new double[c];
                for (int i = 0; i < c; i++)
                    for (int j = 0; j < d; j++) {
                        double gij = -eta * gw[i * d + j];
                        if (fullL) for (int a = 0; a < c; a++) dLeft[i * c + a] += gij * mr[a * d + j]; // −η G (M R)ᵀ
                        else dLeft[i] += gij * mr[i * d + j];
                        if (fullR) for (int k = 0; k < d; k++) dRight[k * d + j] += lm[i * d + k] * gij; // −η (L M)ᵀ G
                        else dRight[j] += gij * lm[i * d + j];
                    }
                for (int i = 0; i < c; i++) dBias[i] = -eta * gb[i] * mb[i];
                etaAdam.step(logEta, new double[] {dEta});
                double[] factors = concat(concat(left, right), biasFactor);
                factorAdam.step(factors, concat(concat(dLeft, dRight), dBias));
                System.arraycopy(factors, 0, left, 0, left.length);
                System.arraycopy(factors, left.length, right, 0, right.length);
                System.arraycopy(factors, left.length + right.length, biasFactor, 0, c);
            }
            double eta = Math.exp(logEta[0]);
            double[] lmr = applyRight(right, fullR, applyLeft(left, fullL, mw, c, d), c, d);
            for (int i = 0; i < c * d; i++) w[i] -= eta * lmr[i];
            for (int i = 0; i < c; i++) b[i] -= eta * biasFactor[i] * mb[i];
            Map<String, double[]> meta = new LinkedHashMap<>();
            meta.put("lr", logEta.clone());
            meta.put((fullL ? "L." : "l.") + W, left.clone());
            meta.put((fullR ? "R." : "r.") + W, right.clone());
            meta.put("d." + B, biasFactor.clone());
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(got.get(step).meta().keySet()), "φ's names");
            compare(step, w, b, meta, q, got.get(step));
        }
    }

    private static double[] eye(int n) {
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = 1;
        return m;
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    /** L·M ([c, c]·[c, d]) or diag(l)·M. */
    private static double[] applyLeft(double[] l, boolean full, double[] m, int c, int d) {
        double[] out = new double[c * d];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < d; j++) {
                double v = 0;
                if (full) for (int a = 0; a < c; a++) v += l[i * c + a] * m[a * d + j];
                else v = l[i] * m[i * d + j];
                out[i * d + j] = v;
            }
        return out;
    }

    /** M·R ([c, d]·[d, d]) or M·diag(r). */
    private static double[] applyRight(double[] rr, boolean full, double[] m, int c, int d) {
        double[] out = new double[c * d];
        for (int i = 0; i < c; i++)
            for (int j = 0; j < d; j++) {
                double v = 0;
                if (full) for (int k = 0; k < d; k++) v += m[i * d + k] * rr[k * d + j];
                else v = m[i * d + j] * rr[j];
                out[i * d + j] = v;
            }
        return out;
    }
}
