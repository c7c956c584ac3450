package dev.proxima.optim;

import dev.proxima.autograd.Tensor;
import java.util.Objects;

/**
 * What {@link Sgd}, {@link Adam}, {@link RmsProp} and {@link Adagrad} share besides their
 * update math: a learning rate (with an optional {@link Schedule}) and a weight decay, set
 * through a builder, and {@link #withLr}, which rebuilds the rule around another learning
 * rate. Each rule keeps its own hyperparameters and its update in its own class.
 *
 * @param <S> the rule's state
 * @param <R> the rule itself, which {@code withLr} returns
 */
abstract class AbstractLearningRateRule<S, R extends AbstractLearningRateRule<S, R>> implements LearningRateRule<S> {
    final Hyper lr, weightDecay;
    final Schedule schedule;

    AbstractLearningRateRule(RuleBuilder<R, ?> b, String name) {
        lr = b.lr;
        weightDecay = b.weightDecay;
        schedule = b.schedule;
        // PyTorch rejects a negative rate ("Invalid learning rate") and allows 0, as here.
        if (lr != null) Trees.requireNonNegative(name, "learning rate", lr);
        Trees.requireNonNegative(name, "weight decay", weightDecay);
    }

    /** A builder holding this rule's settings, to change some of them. */
    public abstract RuleBuilder<R, ?> toBuilder();

    /** This rule with another learning rate (the state stays valid). */
    @Override
    public R withLr(Hyper lr) {
        return toBuilder().lr(lr).build();
    }

    @Override
    public R withLr(Tensor lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public R withLr(double lr) {
        return withLr(Hyper.of(lr));
    }

    @Override
    public Hyper lr() { return lr; }
    public Hyper weightDecay() { return weightDecay; }
    public Schedule schedule() { return schedule; }

    /** {@code g + weightDecay * p}: coupled (L2) weight decay, left out when it is the constant 0. */
    Tensor withCoupledDecay(Tensor g, Tensor p, String name) {
        return weightDecay.isZero() ? g : g.add(p.mul(Trees.cast(weightDecay.scalar(name, p), p)));
    }

    /** The learning rate and its schedule, as {@code toString} begins them. */
    String lrString() {
        return "lr=" + lr + (schedule == null ? "" : ", schedule=" + schedule);
    }

    /**
     * The settings every such rule has; a rule's own builder adds the rest.
     *
     * @param <R> the rule it builds
     * @param <B> the rule's builder, which the setters return
     */
    abstract static class RuleBuilder<R, B extends RuleBuilder<R, B>> {
        Hyper lr, weightDecay;
        Schedule schedule;

        RuleBuilder(Hyper lr, Hyper weightDecay) {
            this.lr = lr;
            this.weightDecay = weightDecay;
        }

        /** Takes over {@code rule}'s shared settings (for {@code toBuilder}). */
        B from(AbstractLearningRateRule<?, ?> rule) {
            lr = rule.lr;
            weightDecay = rule.weightDecay;
            schedule = rule.schedule;
            return self();
        }

        public B lr(double v) { return lr(Hyper.of(v)); }
        public B lr(Tensor v) { return lr(Hyper.of(v)); }
        public B lr(Hyper v) { lr = Objects.requireNonNull(v); return self(); }
        public B weightDecay(double v) { return weightDecay(Hyper.of(v)); }
        public B weightDecay(Tensor v) { return weightDecay(Hyper.of(v)); }
        public B weightDecay(Hyper v) { weightDecay = Objects.requireNonNull(v); return self(); }
        /** The learning rate becomes {@code lr * schedule.at(step)}; null for none. */
        public B schedule(Schedule s) { schedule = s; return self(); }

        public abstract R build();

        @SuppressWarnings("unchecked") // B is this builder's own class
        private B self() {
            return (B) this;
        }
    }
}
