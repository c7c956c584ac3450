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
 *   buf = momentum * buf + g / denom;  p' = p - lr * buf     (with momentum)
 *   p' = p - lr * g / denom                                   (without)
 * </pre>
 * Note that eps is added outside the root, as in PyTorch (TensorFlow adds it inside).
 * Defaults are PyTorch's: lr 1e-2, alpha 0.99, eps 1e-8, no momentum, not centered.
 */
public final class RmsProp implements LearningRateRule<RmsProp.State> {

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

    private final Hyper lr, alpha, eps, weightDecay, momentum;
    private final boolean centered;
    private final Schedule schedule;

    private RmsProp(Builder b) {
        lr = b.lr; alpha = b.alpha; eps = b.eps; weightDecay = b.weightDecay; momentum = b.momentum;
        centered = b.centered; schedule = b.schedule;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this rule's settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.lr = lr; b.alpha = alpha; b.eps = eps; b.weightDecay = weightDecay; b.momentum = momentum;
        b.centered = centered; b.schedule = schedule;
        return b;
    }

    /** This rule with another learning rate (the state stays valid). */
    @Override
    public RmsProp withLr(Hyper lr) {
        return toBuilder().lr(lr).build();
    }

    @Override
    public RmsProp withLr(Tensor lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public RmsProp withLr(double lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public Hyper lr() { return lr; }
    public Hyper alpha() { return alpha; }
    public Hyper eps() { return eps; }
    public Hyper momentum() { return momentum; }
    public Hyper weightDecay() { return weightDecay; }
    public boolean centered() { return centered; }
    public Schedule schedule() { return schedule; }

    @Override
    public State init(Params params) {
        return new State(0, Trees.zerosLike(params), centered ? Trees.zerosLike(params) : Params.empty(),
                momentum.isZero() ? Params.empty() : Trees.zerosLike(params));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("RmsProp.update", grads, params);
        int n = params.size();
        List<Tensor> next = new ArrayList<>(n), sq = new ArrayList<>(n), avg = new ArrayList<>(n), bufs = new ArrayList<>(n);
        for (String name : params.names()) {
            Tensor p = params.get(name), g = grads.get(name);
            if (!weightDecay.isZero()) g = g.add(p.mul(Trees.cast(weightDecay.scalar(name, p), p)));
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
                next.add(p.sub(g.div(denom).mul(rate)));
            } else {
                Tensor buf = state.momentum().get(name).mul(Trees.cast(momentum.scalar(name, p), p)).add(g.div(denom));
                bufs.add(buf);
                next.add(p.sub(buf.mul(rate)));
            }
        }
        return new Update<>(params.withValues(next), new State(state.step() + 1, params.withValues(sq),
                centered ? params.withValues(avg) : state.gradAvg(), momentum.isZero() ? state.momentum() : params.withValues(bufs)));
    }

    @Override
    public double learningRate(State state) {
        return Trees.learningRate(lr, schedule, state.step());
    }

    @Override
    public String toString() {
        return "RmsProp(lr=" + lr + (schedule == null ? "" : ", schedule=" + schedule) + ", alpha=" + alpha + ", eps=" + eps
                + ", momentum=" + momentum + ", centered=" + centered + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of an {@link RmsProp}; defaults are PyTorch's. */
    public static final class Builder {
        private Hyper lr = Hyper.of(1e-2), alpha = Hyper.of(0.99), eps = Hyper.of(1e-8), weightDecay = Hyper.of(0), momentum = Hyper.of(0);
        private boolean centered;
        private Schedule schedule;

        private Builder() {}

        public Builder lr(double v) { return lr(Hyper.of(v)); }
        public Builder lr(Tensor v) { return lr(Hyper.of(v)); }
        public Builder lr(Hyper v) { lr = Objects.requireNonNull(v); return this; }
        public Builder alpha(double v) { return alpha(Hyper.of(v)); }
        public Builder alpha(Tensor v) { return alpha(Hyper.of(v)); }
        public Builder alpha(Hyper v) { alpha = Objects.requireNonNull(v); return this; }
        public Builder eps(double v) { return eps(Hyper.of(v)); }
        public Builder eps(Tensor v) { return eps(Hyper.of(v)); }
        public Builder eps(Hyper v) { eps = Objects.requireNonNull(v); return this; }
        public Builder momentum(double v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Tensor v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Hyper v) { momentum = Objects.requireNonNull(v); return this; }
        public Builder weightDecay(double v) { return weightDecay(Hyper.of(v)); }
        public Builder weightDecay(Tensor v) { return weightDecay(Hyper.of(v)); }
        public Builder weightDecay(Hyper v) { weightDecay = Objects.requireNonNull(v); return this; }
        public Builder centered(boolean v) { centered = v; return this; }
        /** The learning rate becomes {@code lr * schedule.at(step)}; null for none. */
        public Builder schedule(Schedule s) { schedule = s; return this; }

        public RmsProp build() { return new RmsProp(this); }
    }
}
