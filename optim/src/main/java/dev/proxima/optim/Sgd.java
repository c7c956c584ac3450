package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
 * (coupled, L2) weight decay, with the semantics of PyTorch's {@code torch.optim.SGD}:
 * <pre>
 *   d = g + weightDecay * p
 *   buf = d                                  (first step)
 *   buf = momentum * buf + (1 - dampening) * d   (later steps)
 *   d = nesterov ? d + momentum * buf : buf
 *   p' = p - lr * d
 * </pre>
 * Momentum and weight decay terms are left out when they are the constant 0; a tensor
 * hyperparameter always keeps its term (so its trajectory does not depend on its value
 * being 0). Every hyperparameter may be a tensor (see {@link Hyper}); the learning rate may
 * follow a {@link Schedule}.
 *
 * <p>Lifecycle: build once ({@code Sgd.builder().lr(0.1).momentum(0.9).build()}), then
 * {@link #init} and {@link #update} as any {@link UpdateRule}; {@link #withLr} gives the
 * same rule with another learning rate (APO builds one per meta-step).
 */
public final class Sgd implements LearningRateRule<Sgd.State> {

    /**
     * @param step     updates taken so far
     * @param momentum the momentum buffers (an empty tree when momentum is off)
     */
    public record State(long step, Params momentum) {
        public State {
            Objects.requireNonNull(momentum);
        }
    }

    private final Hyper lr, momentum, dampening, weightDecay;
    private final boolean nesterov;
    private final Schedule schedule;

    private Sgd(Builder b) {
        if (b.lr == null) throw new IllegalArgumentException("Sgd: the learning rate is required (PyTorch has no default either)");
        this.lr = b.lr;
        this.momentum = b.momentum;
        this.dampening = b.dampening;
        this.weightDecay = b.weightDecay;
        this.nesterov = b.nesterov;
        this.schedule = b.schedule;
        if (nesterov && (momentum.isZero() || !dampening.isZero()))
            throw new IllegalArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening (" + this + ")");
    }

    /** Plain SGD with learning rate {@code lr}. */
    public static Sgd of(double lr) {
        return builder().lr(lr).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this rule's settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.lr = lr; b.momentum = momentum; b.dampening = dampening; b.weightDecay = weightDecay;
        b.nesterov = nesterov; b.schedule = schedule;
        return b;
    }

    /** This rule with another learning rate (the state stays valid). */
    @Override
    public Sgd withLr(Hyper lr) {
        return toBuilder().lr(lr).build();
    }

    @Override
    public Sgd withLr(Tensor lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public Sgd withLr(double lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public Hyper lr() { return lr; }
    public Hyper momentum() { return momentum; }
    public Hyper weightDecay() { return weightDecay; }
    public boolean nesterov() { return nesterov; }
    public Schedule schedule() { return schedule; }

    @Override
    public State init(Params params) {
        return new State(0, momentum.isZero() ? Params.empty() : Trees.zerosLike(params));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("Sgd.update", grads, params);
        List<Tensor> next = new ArrayList<>(params.size()), bufs = new ArrayList<>(params.size());
        for (String name : params.names()) {
            Tensor p = params.get(name), d = grads.get(name);
            if (!weightDecay.isZero()) d = d.add(p.mul(Trees.cast(weightDecay.scalar(name, p), p)));
            if (!momentum.isZero()) {
                Tensor mu = Trees.cast(momentum.scalar(name, p), p);
                Tensor buf = state.step() == 0 ? d
                        : state.momentum().get(name).mul(mu).add(dampening.isZero() ? d : d.mul(Trees.cast(dampening.scalar(name, p).neg().add(1.0), p)));
                bufs.add(buf);
                d = nesterov ? d.add(buf.mul(mu)) : buf;
            }
            next.add(p.sub(d.mul(Trees.cast(Trees.learningRate(lr, schedule, state.step(), name, p), p))));
        }
        return new Update<>(params.withValues(next), new State(state.step() + 1, momentum.isZero() ? state.momentum() : params.withValues(bufs)));
    }

    @Override
    public double learningRate(State state) {
        return Trees.learningRate(lr, schedule, state.step());
    }

    @Override
    public String toString() {
        return "Sgd(lr=" + lr + (schedule == null ? "" : ", schedule=" + schedule) + ", momentum=" + momentum + ", dampening=" + dampening
                + ", nesterov=" + nesterov + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of an {@link Sgd}; defaults are PyTorch's (momentum, dampening, decay 0). */
    public static final class Builder {
        private Hyper lr;
        private Hyper momentum = Hyper.of(0), dampening = Hyper.of(0), weightDecay = Hyper.of(0);
        private boolean nesterov;
        private Schedule schedule;

        private Builder() {}

        public Builder lr(double v) { return lr(Hyper.of(v)); }
        public Builder lr(Tensor v) { return lr(Hyper.of(v)); }
        public Builder lr(Hyper v) { lr = Objects.requireNonNull(v); return this; }
        public Builder momentum(double v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Tensor v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Hyper v) { momentum = Objects.requireNonNull(v); return this; }
        public Builder dampening(double v) { return dampening(Hyper.of(v)); }
        public Builder dampening(Tensor v) { return dampening(Hyper.of(v)); }
        public Builder dampening(Hyper v) { dampening = Objects.requireNonNull(v); return this; }
        public Builder weightDecay(double v) { return weightDecay(Hyper.of(v)); }
        public Builder weightDecay(Tensor v) { return weightDecay(Hyper.of(v)); }
        public Builder weightDecay(Hyper v) { weightDecay = Objects.requireNonNull(v); return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        /** The learning rate becomes {@code lr * schedule.at(step)}; null for none. */
        public Builder schedule(Schedule s) { schedule = s; return this; }

        public Sgd build() { return new Sgd(this); }
    }
}
