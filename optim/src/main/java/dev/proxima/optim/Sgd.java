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
 *   update = -(lr * d)                       (p' = p + update = p - lr * d)
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
public final class Sgd extends AbstractLearningRateRule<Sgd.State, Sgd> {

    /**
     * @param step     updates taken so far
     * @param momentum the momentum buffers (an empty tree when momentum is off)
     */
    public record State(long step, Params momentum) {
        public State {
            Objects.requireNonNull(momentum);
        }
    }

    private final Hyper momentum, dampening;
    private final boolean nesterov;

    private Sgd(Builder b) {
        super(b, "Sgd");
        if (lr == null) throw new IllegalArgumentException("Sgd: the learning rate is required (PyTorch has no default either)");
        this.momentum = b.momentum;
        this.dampening = b.dampening;
        this.nesterov = b.nesterov;
        Trees.requireNonNegative("Sgd", "momentum", momentum);
        Trees.requireFraction("Sgd", "dampening", dampening, true);
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

    @Override
    public Builder toBuilder() {
        Builder b = new Builder().from(this);
        b.momentum = momentum; b.dampening = dampening; b.nesterov = nesterov;
        return b;
    }

    public Hyper momentum() { return momentum; }
    public boolean nesterov() { return nesterov; }

    @Override
    public State init(Params params) {
        return new State(0, momentum.isZero() ? Params.empty() : Trees.zerosLike(params));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("Sgd.update", grads, params);
        List<Tensor> updates = new ArrayList<>(params.size()), bufs = new ArrayList<>(params.size());
        for (String name : params.names()) {
            Tensor p = params.get(name), d = grads.get(name);
            d = withCoupledDecay(d, p, name);
            if (!momentum.isZero()) {
                Tensor mu = Trees.cast(momentum.scalar(name, p), p);
                Tensor buf = state.step() == 0 ? d
                        : state.momentum().get(name).mul(mu).add(dampening.isZero() ? d : d.mul(Trees.cast(dampening.scalar(name, p).neg().add(1.0), p)));
                bufs.add(buf);
                d = nesterov ? d.add(buf.mul(mu)) : buf;
            }
            updates.add(d.mul(Trees.cast(Trees.learningRate(lr, schedule, state.step(), name, p), p)).neg());
        }
        return new Update<>(params.withValues(updates), new State(state.step() + 1, momentum.isZero() ? state.momentum() : params.withValues(bufs)));
    }

    @Override
    public double learningRate(State state) {
        return Trees.learningRate(lr, schedule, state.step());
    }

    @Override
    public String toString() {
        return "Sgd(" + lrString() + ", momentum=" + momentum + ", dampening=" + dampening
                + ", nesterov=" + nesterov + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of an {@link Sgd}; defaults are PyTorch's (momentum, dampening, decay 0). */
    public static final class Builder extends RuleBuilder<Sgd, Builder> {
        private Hyper momentum = Hyper.of(0), dampening = Hyper.of(0);
        private boolean nesterov;

        private Builder() {
            super(null, Hyper.of(0));
        }

        public Builder momentum(double v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Tensor v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Hyper v) { momentum = Objects.requireNonNull(v); return this; }
        public Builder dampening(double v) { return dampening(Hyper.of(v)); }
        public Builder dampening(Tensor v) { return dampening(Hyper.of(v)); }
        public Builder dampening(Hyper v) { dampening = Objects.requireNonNull(v); return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }

        @Override
        public Sgd build() { return new Sgd(this); }
    }
}
