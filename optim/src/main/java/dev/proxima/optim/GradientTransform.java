package dev.proxima.optim;

/**
 * An {@link UpdateRule} that changes the gradients rather than turning them into a step
 * (clipping, weight decay): {@code ClipByGlobalNorm.of(1.0).then(adam)}. It is the same kind
 * of stage as a rule (optax makes no difference either), so a {@link Chain} may put it
 * anywhere; the name says what it is for. Most transforms keep no state
 * ({@link Stateless#INSTANCE}).
 *
 * @param <S> the transform's state
 */
public interface GradientTransform<S> extends UpdateRule<S> {

    /** The state of a stage that keeps none. */
    enum Stateless { INSTANCE }
}
