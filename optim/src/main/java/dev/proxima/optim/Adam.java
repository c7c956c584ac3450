package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) and, with
 * decoupled weight decay, AdamW (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019), with the semantics of PyTorch's {@code torch.optim.Adam} and
 * {@code AdamW} (bias correction included; AMSGrad optional):
 * <pre>
 *   g = g + weightDecay * p                  (Adam: coupled, L2)
 *   p * (1 - lr * weightDecay)               (AdamW: decoupled, see the update)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   t = step + 1;  bc1 = 1 - beta1^t;  bc2 = 1 - beta2^t
 *   vMax = max(vMax, v); v = vMax            (AMSGrad only, for the denominator)
 *   denom = sqrt(v) / sqrt(bc2) + eps        (epsRoot = 0, PyTorch's form)
 *   denom = sqrt(v / bc2 + epsRoot) + eps    (epsRoot > 0, optax's form)
 *   step = (lr / bc1) * m / denom
 *   update = -step                            (Adam; p' = p + update = p - step)
 *   update = (p * (1 - lr * weightDecay) - step) - p   (AdamW with a decay)
 * </pre>
 * AdamW's update is the difference the step makes, so that {@code p + update} is PyTorch's
 * {@code p * (1 - lr * wd) - step} to the bit whenever that difference is exact: when the new
 * weight is within a factor 2 of the old one with the same sign (Sterbenz's lemma): when a
 * step at most halves or doubles a weight. Beyond that the two may differ in the last bit.
 *
 * <p><b>Why {@code epsRoot}.</b> The derivative of {@code sqrt(v)} is {@code 1 / (2 sqrt v)},
 * infinite wherever {@code v = 0} (a parameter whose gradients have all been zero, e.g. a
 * dead unit). A first derivative of the step through {@code m / denom} stays finite there in
 * value, but the chain rule multiplies {@code 0 * inf} and returns NaN as soon as the step is
 * differentiated through {@code v} (a gradient made with {@code createGraph}, a multi-step
 * APO lookahead). A small {@code epsRoot} (optax uses 1e-8 for meta-learning) puts the guard
 * inside the root, where the derivative is bounded by {@code 1 / (2 sqrt(epsRoot))}. It is
 * 0 by default, so that the rule equals PyTorch's; it is a fixed number, not a {@link Hyper}.
 */
public final class Adam extends AbstractLearningRateRule<Adam.State, Adam> {

    /**
     * @param step updates taken so far
     * @param m    first-moment (mean) estimates
     * @param v    second-moment (uncentered variance) estimates
     * @param vMax the running maxima of {@code v} (AMSGrad; an empty tree otherwise)
     */
    public record State(long step, Params m, Params v, Params vMax) {
        public State {
            Objects.requireNonNull(m);
            Objects.requireNonNull(v);
            Objects.requireNonNull(vMax);
        }
    }

    private final Hyper beta1, beta2, eps;
    private final double epsRoot;
    private final boolean decoupled, amsgrad;

    private Adam(Builder b) {
        super(b, b.decoupled ? "AdamW" : "Adam");
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.epsRoot = b.epsRoot;
        this.decoupled = b.decoupled;
        this.amsgrad = b.amsgrad;
        Trees.requireFraction(name(), "beta1", beta1, false);
        Trees.requireFraction(name(), "beta2", beta2, false);
        Trees.requireNonNegative(name(), "eps", eps); // PyTorch allows eps = 0 ("Invalid epsilon value" below 0)
        Trees.requireNonNegative(name(), "epsRoot", epsRoot);
    }

    /** Adam with PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8, no decay). */
    public static Builder builder() {
        return new Builder(false);
    }

    @Override
    public Builder toBuilder() {
        Builder b = new Builder(decoupled).from(this);
        b.beta1 = beta1; b.beta2 = beta2; b.eps = eps; b.epsRoot = epsRoot; b.amsgrad = amsgrad;
        return b;
    }

    public Hyper beta1() { return beta1; }
    public Hyper beta2() { return beta2; }
    public Hyper eps() { return eps; }
    public double epsRoot() { return epsRoot; }
    /** True for AdamW's decoupled weight decay. */
    public boolean decoupled() { return decoupled; }
    public boolean amsgrad() { return amsgrad; }

    @Override
    public State init(Params params) {
        return new State(0, Trees.zerosLike(params), Trees.zerosLike(params), amsgrad ? Trees.zerosLike(params) : Params.empty());
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent(name() + ".update", grads, params);
        int n = params.size();
        List<Tensor> updates = new ArrayList<>(n), ms = new ArrayList<>(n), vs = new ArrayList<>(n), maxes = new ArrayList<>(n);
        double t = state.step() + 1;
        for (String name : params.names()) {
            Tensor p = params.get(name), g = grads.get(name), decayed = null;
            Tensor rate = Trees.learningRate(lr, schedule, state.step(), name, p);
            if (!decoupled) g = withCoupledDecay(g, p, name);
            else if (!weightDecay.isZero()) decayed = p.mul(Trees.cast(rate.mul(weightDecay.scalar(name, p)).neg().add(1.0), p));
            Tensor b1 = beta1.scalar(name, p), b2 = beta2.scalar(name, p);
            Tensor m = state.m().get(name).mul(Trees.cast(b1, p)).add(g.mul(Trees.cast(b1.neg().add(1.0), p)));
            Tensor v = state.v().get(name).mul(Trees.cast(b2, p)).add(g.mul(g).mul(Trees.cast(b2.neg().add(1.0), p)));
            Tensor bc1 = b1.pow(t).neg().add(1.0), bc2 = b2.pow(t).neg().add(1.0);
            Tensor second = v;
            if (amsgrad) {
                second = state.vMax().get(name).maximum(v);
                maxes.add(second);
            }
            Tensor denom = epsRoot == 0
                    ? second.sqrt().div(Trees.cast(bc2.sqrt(), p))
                    : second.div(Trees.cast(bc2, p)).add(epsRoot).sqrt();
            denom = denom.add(Trees.cast(eps.scalar(name, p), p));
            Tensor step = m.div(denom).mul(Trees.cast(rate.div(bc1), p));
            // The decoupled decay multiplies p, which no single addend reproduces bit for bit;
            // the update is the difference the step makes, (p * (1 - lr * wd) - step) - p,
            // exact (so p + update is PyTorch's value to the bit) whenever the new weight is
            // within a factor 2 of the old one, of the same sign (Sterbenz's lemma).
            updates.add(decayed == null ? step.neg() : decayed.sub(step).sub(p));
            ms.add(m);
            vs.add(v);
        }
        return new Update<>(params.withValues(updates), new State(state.step() + 1, params.withValues(ms), params.withValues(vs),
                amsgrad ? params.withValues(maxes) : state.vMax()));
    }

    @Override
    public double learningRate(State state) {
        return Trees.learningRate(lr, schedule, state.step());
    }

    private String name() {
        return decoupled ? "AdamW" : "Adam";
    }

    @Override
    public String toString() {
        return name() + "(" + lrString() + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
                + ", epsRoot=" + epsRoot + ", weightDecay=" + weightDecay + (amsgrad ? ", amsgrad" : "") + ")";
    }

    /** Settings of an {@link Adam} or {@link AdamW}; defaults are PyTorch's. */
    public static final class Builder extends RuleBuilder<Adam, Builder> {
        private Hyper beta1 = Hyper.of(0.9), beta2 = Hyper.of(0.999), eps = Hyper.of(1e-8);
        private double epsRoot;
        private final boolean decoupled;
        private boolean amsgrad;

        Builder(boolean decoupled) {
            super(Hyper.of(1e-3), Hyper.of(decoupled ? 1e-2 : 0));
            this.decoupled = decoupled;
        }

        public Builder beta1(double v) { return beta1(Hyper.of(v)); }
        public Builder beta1(Tensor v) { return beta1(Hyper.of(v)); }
        public Builder beta1(Hyper v) { beta1 = Objects.requireNonNull(v); return this; }
        public Builder beta2(double v) { return beta2(Hyper.of(v)); }
        public Builder beta2(Tensor v) { return beta2(Hyper.of(v)); }
        public Builder beta2(Hyper v) { beta2 = Objects.requireNonNull(v); return this; }
        public Builder betas(double b1, double b2) { return beta1(b1).beta2(b2); }
        public Builder eps(double v) { return eps(Hyper.of(v)); }
        public Builder eps(Tensor v) { return eps(Hyper.of(v)); }
        public Builder eps(Hyper v) { eps = Objects.requireNonNull(v); return this; }
        /** The guard inside the square root; see the class comment. 0 (PyTorch's form) by default. */
        public Builder epsRoot(double v) { epsRoot = v; return this; }
        /** AMSGrad (Reddi, Kale and Kumar, ICLR 2018): the denominator uses the running maximum of v. */
        public Builder amsgrad(boolean v) { amsgrad = v; return this; }

        @Override
        public Adam build() { return new Adam(this); }
    }
}
