package dev.proxima.optim;

import dev.proxima.autograd.Tensor;

/**
 * An {@link UpdateRule} with a learning rate that can be swapped without touching its state:
 * what APO-LR needs to rebuild the rule around a fresh {@code exp(log lr)} tensor at each
 * meta-step, whatever the base optimizer ({@link Sgd}, {@link Adam}, {@link RmsProp},
 * {@link Adagrad}).
 *
 * @param <S> the rule's state
 */
public interface LearningRateRule<S> extends UpdateRule<S> {

    /** The base learning rate (before any schedule). */
    Hyper lr();

    /** The same rule with learning rate {@code lr}; states of this rule stay valid for it. */
    LearningRateRule<S> withLr(Hyper lr);

    default LearningRateRule<S> withLr(Tensor lr) {
        return withLr(Hyper.of(lr));
    }

    default LearningRateRule<S> withLr(double lr) {
        return withLr(Hyper.of(lr));
    }
}
