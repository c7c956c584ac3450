package dev.proxima.autograd;

/**
 * Something that holds a parameter tree and takes a new one back: an nn {@code Module}. It
 * lets an optimizer (in optim, which never reads nn) work on a model directly, as
 * {@code new Optimizer(rule, model)}: tensors are values, so an optimizer step makes new
 * parameter leaves, and the model must be handed them through {@link #setParams}.
 */
public interface Parameterized {
    /** The current parameters. */
    Params params();

    /** Replaces the parameters with a tree of the same names and shapes. */
    void setParams(Params params);
}
