package dev.proxima.optim;

import dev.proxima.autograd.Params;
import java.util.List;
import java.util.Objects;

/**
 * A pure map from gradients to gradients (clipping, weight decay, scaling), run before an
 * {@link UpdateRule} by a {@link Chain}: {@code ClipByGlobalNorm.of(1.0).then(adam)}. Like
 * rules, transforms have an immutable state (most have none, {@link Stateless#INSTANCE}),
 * never mutate their inputs, and are written in {@code Tensor} ops.
 *
 * @param <S> the transform's state
 */
public interface GradientTransform<S> {

    /** The state before the first step. */
    S init(Params params);

    /** The transformed gradients (congruent with {@code grads}) and the next state. */
    Transformed<S> transform(Params grads, S state, Params params);

    /**
     * What {@link #transform} returns.
     *
     * @param grads the transformed gradients
     * @param state the next state
     */
    record Transformed<S>(Params grads, S state) {
        public Transformed {
            Objects.requireNonNull(grads, "Transformed: grads");
            Objects.requireNonNull(state, "Transformed: state");
        }
    }

    /** The state of a transform that keeps none. */
    enum Stateless { INSTANCE }

    /** This transform, then {@code rule}: a {@link Chain}. */
    default Chain then(UpdateRule<?> rule) {
        return Chain.of(List.of(this), rule);
    }
}
