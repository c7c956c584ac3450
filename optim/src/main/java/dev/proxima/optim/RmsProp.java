package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * RMSProp (Tieleman and Hinton, Coursera lecture 6.5, 2012), with the semantics of
 * PyTorch's {@code torch.optim.RMSprop}:
 * <pre>
 *   g = g + weightDecay * p
 *   s = alpha * s + (1 - alpha) * g^2
 *   a = centered ? alpha * a + (1 - alpha) * g : -
 *   denom = sqrt(centered ? s - a^2 : s) + eps
 *   buf = momentum * buf + g / denom;  update = -(lr * buf)       (with momentum)
 *   update = -(lr * g / denom)                                     (without)
 *   p' = p + update
 * </pre>
 * Note that eps is added outside the root, as in PyTorch (TensorFlow adds it inside).
 * Defaults are PyTorch's: lr 1e-2, alpha 0.99, eps 1e-8, no momentum, not centered.
 */
public final class RmsProp extends AbstractLearningRateRule<RmsProp.State, RmsProp> {

    /**
     * @param step      updates taken so far
     * @param squareAvg running averages of the squared gradient
     * @param gradAvg   running averages of the gradient (empty unless centered)
     * @param momentum  momentum buffers (empty unless momentum is on)
     */
    public record State(long step, Params squareAvg, Params gradAvg, Params momentum) {
        public State {
            Objects.requireNonNull(squareAvg);
            Objects.requireNonNull(gradAvg);
            Objects.requireNonNull(momentum);
        }
    }

    private final Hyper alpha, eps, momentum;
    private final boolean centered;

    private RmsProp(Builder b) {
        super(b, "RmsProp");
        alpha = b.alpha; eps = b.eps; momentum = b.momentum; centered = b.centered;
        Trees.requireFraction("RmsProp", "alpha", alpha, false);
        Trees.requireNonNegative("RmsProp", "eps", eps);
        Trees.requireNonNegative("RmsProp", "momentum", momentum);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Builder toBuilder() {
        Builder b = new Builder().from(this);
        b.alpha = alpha; b.eps = eps; b.momentum = momentum; b.centered = centered;
        return b;
    }

    public Hyper alpha() { return alpha; }
    public Hyper eps() { return eps; }
    public Hyper momentum() { return momentum; }
    public boolean centered() { return centered; }

    @Override
    public State init(Params params) {
        return new State(0, Trees.zerosLike(params), centered ? Trees.zerosLike(params) : Params.empty(),
                momentum.isZero() ? Params.empty() : Trees.zerosLike(params));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("RmsProp.update", grads, params);
        int n = params.size();
        List<Tensor> updates = new ArrayList<>(n), sq = new ArrayList<>(n), avg = new ArrayList<>(n), bufs = new ArrayList<>(n);
        for (String name : params.names()) {
            Tensor p = params.get(name), g = grads.get(name);
            g = withCoupledDecay(g, p, name);
            Tensor a = alpha.scalar(name, p), keep = Trees.cast(a, p), mix = Trees.cast(a.neg().add(1.0), p);
            Tensor s = state.squareAvg().get(name).mul(keep).add(g.mul(g).mul(mix));
            sq.add(s);
            Tensor var = s;
            if (centered) {
                Tensor ga = state.gradAvg().get(name).mul(keep).add(g.mul(mix));
                avg.add(ga);
                var = s.sub(ga.mul(ga));
            }
            Tensor denom = var.sqrt().add(Trees.cast(eps.scalar(name, p), p));
            Tensor rate = Trees.cast(Trees.learningRate(lr, schedule, state.step(), name, p), p);
            if (momentum.isZero()) {
                updates.add(g.div(denom).mul(rate).neg());
            } else {
                Tensor buf = state.momentum().get(name).mul(Trees.cast(momentum.scalar(name, p), p)).add(g.div(denom));
                bufs.add(buf);
                updates.add(buf.mul(rate).neg());
            }
        }
        return new Update<>(params.withValues(updates), new State(state.step() + 1, params.withValues(sq),
                centered ? params.withValues(avg) : state.gradAvg(), momentum.isZero() ? state.momentum() : params.withValues(bufs)));
    }

    @Override
    public double learningRate(State state) {
        return Trees.learningRate(lr, schedule, state.step());
    }

    @Override
    public String toString() {
        return "RmsProp(" + lrString() + ", alpha=" + alpha + ", eps=" + eps
                + ", momentum=" + momentum + ", centered=" + centered + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of an {@link RmsProp}; defaults are PyTorch's. */
    public static final class Builder extends RuleBuilder<RmsProp, Builder> {
        private Hyper alpha = Hyper.of(0.99), eps = Hyper.of(1e-8), momentum = Hyper.of(0);
        private boolean centered;

        private Builder() {
            super(Hyper.of(1e-2), Hyper.of(0));
        }

        public Builder alpha(double v) { return alpha(Hyper.of(v)); }
        public Builder alpha(Tensor v) { return alpha(Hyper.of(v)); }
        public Builder alpha(Hyper v) { alpha = Objects.requireNonNull(v); return this; }
        public Builder eps(double v) { return eps(Hyper.of(v)); }
        public Builder eps(Tensor v) { return eps(Hyper.of(v)); }
        public Builder eps(Hyper v) { eps = Objects.requireNonNull(v); return this; }
        public Builder momentum(double v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Tensor v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Hyper v) { momentum = Objects.requireNonNull(v); return this; }
        public Builder centered(boolean v) { centered = v; return this; }

        @Override
        public RmsProp build() { return new RmsProp(this); }
    }
}
