package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Adagrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization", JMLR 2011), with the semantics of PyTorch's
 * {@code torch.optim.Adagrad}:
 * <pre>
 *   g = g + weightDecay * p
 *   clr = lr / (1 + step * lrDecay)          (step = updates taken before this one)
 *   sum = sum + g^2                           (sum starts at initialAccumulatorValue)
 *   update = -(clr * g / (sqrt(sum) + eps))    (p' = p + update)
 * </pre>
 * Defaults are PyTorch's: lr 1e-2, lrDecay 0, eps 1e-10, initial accumulator 0.
 */
public final class Adagrad extends AbstractLearningRateRule<Adagrad.State, Adagrad> {

    /**
     * @param step updates taken so far
     * @param sum  the running sums of squared gradients
     */
    public record State(long step, Params sum) {
        public State {
            Objects.requireNonNull(sum);
        }
    }

    private final Hyper lrDecay, eps;
    private final double initialAccumulatorValue;

    private Adagrad(Builder b) {
        super(b, "Adagrad");
        lrDecay = b.lrDecay; eps = b.eps; initialAccumulatorValue = b.initialAccumulatorValue;
        Trees.requireNonNegative("Adagrad", "lrDecay", lrDecay);
        Trees.requireNonNegative("Adagrad", "eps", eps);
        Trees.requireNonNegative("Adagrad", "initialAccumulatorValue", initialAccumulatorValue);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Builder toBuilder() {
        Builder b = new Builder().from(this);
        b.lrDecay = lrDecay; b.eps = eps; b.initialAccumulatorValue = initialAccumulatorValue;
        return b;
    }

    @Override
    public State init(Params params) {
        return new State(0, params.map(p -> Trees.fullLike(p, initialAccumulatorValue)));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("Adagrad.update", grads, params);
        List<Tensor> updates = new ArrayList<>(params.size()), sums = new ArrayList<>(params.size());
        for (String name : params.names()) {
            Tensor p = params.get(name), g = grads.get(name);
            g = withCoupledDecay(g, p, name);
            Tensor rate = Trees.learningRate(lr, schedule, state.step(), name, p);
            if (!lrDecay.isZero()) rate = rate.div(lrDecay.scalar(name, p).mul((double) state.step()).add(1.0));
            Tensor sum = state.sum().get(name).add(g.mul(g));
            sums.add(sum);
            Tensor denom = sum.sqrt().add(Trees.cast(eps.scalar(name, p), p));
            updates.add(g.div(denom).mul(Trees.cast(rate, p)).neg());
        }
        return new Update<>(params.withValues(updates), new State(state.step() + 1, params.withValues(sums)));
    }

    @Override
    public double learningRate(State state) {
        double base = Trees.learningRate(lr, schedule, state.step());
        return lrDecay instanceof Hyper.PerParam ? Double.NaN : base / (1 + state.step() * lrDecay.value(null));
    }

    @Override
    public String toString() {
        return "Adagrad(" + lrString() + ", lrDecay=" + lrDecay + ", eps=" + eps
                + ", initialAccumulatorValue=" + initialAccumulatorValue + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of an {@link Adagrad}; defaults are PyTorch's. */
    public static final class Builder extends RuleBuilder<Adagrad, Builder> {
        private Hyper lrDecay = Hyper.of(0), eps = Hyper.of(1e-10);
        private double initialAccumulatorValue;

        private Builder() {
            super(Hyper.of(1e-2), Hyper.of(0));
        }

        public Builder lrDecay(double v) { return lrDecay(Hyper.of(v)); }
        public Builder lrDecay(Tensor v) { return lrDecay(Hyper.of(v)); }
        public Builder lrDecay(Hyper v) { lrDecay = Objects.requireNonNull(v); return this; }
        public Builder eps(double v) { return eps(Hyper.of(v)); }
        public Builder eps(Tensor v) { return eps(Hyper.of(v)); }
        public Builder eps(Hyper v) { eps = Objects.requireNonNull(v); return this; }
        public Builder initialAccumulatorValue(double v) { initialAccumulatorValue = v; return this; }

        @Override
        public Adagrad build() { return new Adagrad(this); }
    }
}
