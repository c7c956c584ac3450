package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.Objects;

/**
 * Coupled (L2) weight decay as a gradient transform: {@code g + rate * p}, what the
 * {@code weightDecay} setting of PyTorch's SGD, Adam, RMSprop and Adagrad does, for rules
 * that have none or to decay before clipping. For AdamW's decoupled decay use {@link AdamW}.
 *
 * @param rate the decay (a double or a tensor, see {@link Hyper})
 */
public record WeightDecay(Hyper rate) implements GradientTransform<GradientTransform.Stateless> {
    public WeightDecay {
        Objects.requireNonNull(rate, "WeightDecay: rate");
        Trees.requireNonNegative("WeightDecay", "rate", rate);
    }

    public static WeightDecay of(double rate) {
        return new WeightDecay(Hyper.of(rate));
    }

    public static WeightDecay of(Tensor rate) {
        return new WeightDecay(Hyper.of(rate));
    }

    @Override
    public Stateless init(Params params) {
        return Stateless.INSTANCE;
    }

    @Override
    public Update<Stateless> update(Params grads, Stateless state, Params params) {
        Trees.requireCongruent("WeightDecay.update", grads, params);
        return new Update<>(grads.mapWithName((name, g) -> {
            Tensor p = params.get(name);
            return g.add(p.mul(Trees.cast(rate.scalar(name, p), p)));
        }), state);
    }

    @Override
    public String toString() {
        return "WeightDecay(" + rate + ")";
    }
}
