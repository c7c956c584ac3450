package dev.proxima.optim.apo;

/**
 * The settings of {@link Apo}, immutable, printed in full by {@link #toString()}. Every
 * default is named here with its source: <b>paper</b> (Bae, Vicol, HaoChen, Grosse,
 * "Amortized Proximal Optimization", NeurIPS 2022, arXiv 2203.00089) or <b>ours</b> (a choice
 * this implementation makes where the paper leaves one open; each is configurable).
 *
 * @param metaInterval   K: the meta-parameters are updated every K training steps, the
 *                       parameters every step. Periodic meta-updates: paper; K = 10: ours.
 * @param lookaheadSteps the number of steps u_φ is unrolled for the objective. One: paper;
 *                       with more, the base optimizer's state advances through the unrolled
 *                       steps, each extra step reuses batch B, and the meta-gradient is the
 *                       exact derivative of that Q, second-order terms included (the gradients
 *                       at the intermediate iterates are differentiated) (ours).
 * @param lambdaFsd      weight of the function-space term λ_FSD. 1: ours.
 * @param lambdaWsd      weight of the weight-space term λ_WSD (the term is λ_WSD/2·||θ'−θ||²).
 *                       0: ours (the function-space term alone keeps the step proximal).
 * @param divergence     ρ, the output-space discrepancy of the function-space term. KL for
 *                       classification and half squared error for regression is the paper's
 *                       pairing; the default KL: ours (set it per task).
 * @param initialLr      the learning rate(s) φ starts from. 0.01: ours (the paper starts
 *                       from a small rate and lets APO raise it).
 * @param perLayerLr     APO-LR: one rate per layer (a layer being the names that share a
 *                       prefix up to their last dot: "0.weight" and "0.bias") instead of one
 *                       global rate. Global: ours. APO-LR only: APO-Precond learns one η.
 * @param metaLr         the meta-optimizer's step on log learning rates. Adam with 0.1: ours.
 * @param precondMetaLr  APO-Precond: the meta-optimizer's step on the entries of L, R and the
 *                       diagonal factors. 1e-3: ours (a matrix moves many entries at once,
 *                       so its step is smaller than log η's).
 * @param metaBeta1      Adam's β1 for the meta-optimizer. 0.9: Kingma and Ba's default.
 * @param metaBeta2      Adam's β2 for the meta-optimizer. 0.999: Kingma and Ba's default.
 * @param metaEps        Adam's ε for the meta-optimizer. 1e-8: Kingma and Ba's default.
 * @param precondMaxDim  APO-Precond: a side of a weight longer than this gets a diagonal factor
 *                       instead of a full matrix (the "diagonal fallback for large layers").
 *                       512: ours (a full 512×512 factor costs one extra small matmul per step).
 * @param precondMomentum APO-Precond: heavy-ball momentum on the gradient before it is
 *                       preconditioned (m ← μ·m + g, a sum, not an average; ΔW = −η·L·m·R). 0.9: ours, to match the
 *                       momentum of the SGD baseline.
 */
public record ApoConfig(int metaInterval, int lookaheadSteps, double lambdaFsd, double lambdaWsd, Divergence divergence,
                        double initialLr, boolean perLayerLr, double metaLr, double precondMetaLr,
                        double metaBeta1, double metaBeta2, double metaEps, int precondMaxDim, double precondMomentum) {

    public static final int DEFAULT_META_INTERVAL = 10;
    public static final int DEFAULT_LOOKAHEAD_STEPS = 1;
    public static final double DEFAULT_LAMBDA_FSD = 1.0;
    public static final double DEFAULT_LAMBDA_WSD = 0.0;
    public static final Divergence DEFAULT_DIVERGENCE = Divergence.KL;
    public static final double DEFAULT_INITIAL_LR = 0.01;
    public static final boolean DEFAULT_PER_LAYER_LR = false;
    public static final double DEFAULT_META_LR = 0.1;
    public static final double DEFAULT_PRECOND_META_LR = 1e-3;
    public static final double DEFAULT_META_BETA1 = 0.9;
    public static final double DEFAULT_META_BETA2 = 0.999;
    public static final double DEFAULT_META_EPS = 1e-8;
    public static final int DEFAULT_PRECOND_MAX_DIM = 512;
    public static final double DEFAULT_PRECOND_MOMENTUM = 0.9;

    public ApoConfig {
        // Each error names the setting and the value: "ApoConfig: lambdaFsd must be >= 0, got NaN".
        atLeastOne("metaInterval", metaInterval);
        atLeastOne("lookaheadSteps", lookaheadSteps);
        nonNegative("lambdaFsd", lambdaFsd);
        nonNegative("lambdaWsd", lambdaWsd);
        if (divergence == null) throw new IllegalArgumentException("ApoConfig: divergence is null");
        positive("initialLr", initialLr); // φ stores log η
        // A meta step of 0 is allowed, as a learning rate of 0 is in PyTorch: it freezes φ.
        nonNegative("metaLr", metaLr);
        nonNegative("precondMetaLr", precondMetaLr);
        fraction("metaBeta1", metaBeta1);
        fraction("metaBeta2", metaBeta2);
        positive("metaEps", metaEps); // > 0: a meta-gradient can be exactly 0 (0 / 0 without it)
        atLeastOne("precondMaxDim", precondMaxDim);
        fraction("precondMomentum", precondMomentum);
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) throw new IllegalArgumentException("ApoConfig: " + setting + " must be >= 1, got " + value);
    }

    private static void nonNegative(String setting, double value) {
        if (!(value >= 0)) throw new IllegalArgumentException("ApoConfig: " + setting + " must be >= 0, got " + value);
        if (Double.isInfinite(value)) throw new IllegalArgumentException("ApoConfig: " + setting + " must be finite, got " + value);
    }

    private static void positive(String setting, double value) {
        if (!(value > 0)) throw new IllegalArgumentException("ApoConfig: " + setting + " must be > 0, got " + value);
        if (Double.isInfinite(value)) throw new IllegalArgumentException("ApoConfig: " + setting + " must be finite, got " + value);
    }

    private static void fraction(String setting, double value) {
        if (!(value >= 0 && value < 1)) throw new IllegalArgumentException("ApoConfig: " + setting + " must be in [0, 1), got " + value);
    }

    /** All defaults. */
    public static ApoConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.metaInterval = metaInterval; b.lookaheadSteps = lookaheadSteps; b.lambdaFsd = lambdaFsd; b.lambdaWsd = lambdaWsd;
        b.divergence = divergence; b.initialLr = initialLr; b.perLayerLr = perLayerLr; b.metaLr = metaLr;
        b.precondMetaLr = precondMetaLr; b.metaBeta1 = metaBeta1; b.metaBeta2 = metaBeta2; b.metaEps = metaEps;
        b.precondMaxDim = precondMaxDim; b.precondMomentum = precondMomentum;
        return b;
    }

    @Override
    public String toString() {
        return "ApoConfig{K=" + metaInterval + ", lookahead=" + lookaheadSteps + ", λ_FSD=" + lambdaFsd + ", λ_WSD=" + lambdaWsd
                + ", ρ=" + divergence + ", initialLr=" + initialLr + ", perLayerLr=" + perLayerLr + ", meta=Adam(lr=" + metaLr
                + ", precondLr=" + precondMetaLr + ", β1=" + metaBeta1 + ", β2=" + metaBeta2 + ", ε=" + metaEps
                + "), precondMaxDim=" + precondMaxDim + ", precondMomentum=" + precondMomentum + "}";
    }

    /** Starts from the defaults; every setter names one field of the record. */
    public static final class Builder {
        private int metaInterval = DEFAULT_META_INTERVAL;
        private int lookaheadSteps = DEFAULT_LOOKAHEAD_STEPS;
        private double lambdaFsd = DEFAULT_LAMBDA_FSD;
        private double lambdaWsd = DEFAULT_LAMBDA_WSD;
        private Divergence divergence = DEFAULT_DIVERGENCE;
        private double initialLr = DEFAULT_INITIAL_LR;
        private boolean perLayerLr = DEFAULT_PER_LAYER_LR;
        private double metaLr = DEFAULT_META_LR;
        private double precondMetaLr = DEFAULT_PRECOND_META_LR;
        private double metaBeta1 = DEFAULT_META_BETA1;
        private double metaBeta2 = DEFAULT_META_BETA2;
        private double metaEps = DEFAULT_META_EPS;
        private int precondMaxDim = DEFAULT_PRECOND_MAX_DIM;
        private double precondMomentum = DEFAULT_PRECOND_MOMENTUM;

        private Builder() {}

        public Builder metaInterval(int k) { metaInterval = k; return this; }
        public Builder lookaheadSteps(int k) { lookaheadSteps = k; return this; }
        public Builder lambdaFsd(double v) { lambdaFsd = v; return this; }
        public Builder lambdaWsd(double v) { lambdaWsd = v; return this; }
        public Builder divergence(Divergence d) { divergence = d; return this; }
        public Builder initialLr(double v) { initialLr = v; return this; }
        public Builder perLayerLr(boolean on) { perLayerLr = on; return this; }
        public Builder metaLr(double v) { metaLr = v; return this; }
        public Builder precondMetaLr(double v) { precondMetaLr = v; return this; }
        public Builder metaBeta1(double v) { metaBeta1 = v; return this; }
        public Builder metaBeta2(double v) { metaBeta2 = v; return this; }
        public Builder metaEps(double v) { metaEps = v; return this; }
        public Builder precondMaxDim(int v) { precondMaxDim = v; return this; }
        public Builder precondMomentum(double v) { precondMomentum = v; return this; }

        public ApoConfig build() {
            return new ApoConfig(metaInterval, lookaheadSteps, lambdaFsd, lambdaWsd, divergence, initialLr, perLayerLr, metaLr,
                    precondMetaLr, metaBeta1, metaBeta2, metaEps, precondMaxDim, precondMomentum);
        }
    }
}
