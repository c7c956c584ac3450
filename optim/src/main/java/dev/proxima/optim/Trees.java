package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;

/** Small helpers shared by the rules: argument checks and zero buffers. */
final class Trees {
    private Trees() {}

    // ---- settings: checked when a rule is built; each error names the rule, the setting and
    // the value ("Sgd: learning rate must be >= 0, got -0.1"). Only a fixed number (a double,
    // Hyper.of(double)) is checked: a tensor hyperparameter is a value being learned or
    // scheduled by the caller, and reading it here would synchronize its device at every
    // rebuild (APO rebuilds its base rule around a fresh rate at each meta-step).

    /** {@code value} finite and {@code >= 0} (NaN fails). */
    static double requireNonNegative(String rule, String setting, double value) {
        if (!(value >= 0)) throw new IllegalArgumentException(rule + ": " + setting + " must be >= 0, got " + value);
        if (Double.isInfinite(value)) throw new IllegalArgumentException(rule + ": " + setting + " must be finite, got " + value);
        return value;
    }

    /** {@code value} finite and {@code > 0}. */
    static double requirePositive(String rule, String setting, double value) {
        if (!(value > 0)) throw new IllegalArgumentException(rule + ": " + setting + " must be > 0, got " + value);
        if (Double.isInfinite(value)) throw new IllegalArgumentException(rule + ": " + setting + " must be finite, got " + value);
        return value;
    }

    /** {@code value} in [0, 1) (a decay: betas, alpha), or in [0, 1] when {@code closed}. */
    static double requireFraction(String rule, String setting, double value, boolean closed) {
        if (!(value >= 0 && (closed ? value <= 1 : value < 1)))
            throw new IllegalArgumentException(rule + ": " + setting + " must be in [0, 1" + (closed ? "]" : ")") + ", got " + value);
        return value;
    }

    static void requireNonNegative(String rule, String setting, Hyper h) {
        if (h instanceof Hyper.Constant c) requireNonNegative(rule, setting, c.value());
    }

    static void requireFraction(String rule, String setting, Hyper h, boolean closed) {
        if (h instanceof Hyper.Constant c) requireFraction(rule, setting, c.value(), closed);
    }

    /** Fails with the rule's name and both trees unless {@code grads} matches {@code params}. */
    static void requireCongruent(String op, Params grads, Params params) {
        if (!params.congruent(grads))
            throw new IllegalArgumentException(op + ": gradients " + grads + " do not match parameters " + params);
    }

    /** A constant zero tensor of {@code t}'s shape, dtype and device. */
    static Tensor zerosLike(Tensor t) {
        return Tensor.of(NDArray.zeros(t.dtype(), t.device(), t.shape()));
    }

    /** A tree of constant zeros congruent with {@code params}. */
    static Params zerosLike(Params params) {
        return params.map(Trees::zerosLike);
    }

    /** A constant tensor of {@code t}'s shape, dtype and device filled with {@code value}. */
    static Tensor fullLike(Tensor t, double value) {
        return Tensor.of(NDArray.full(value, t.dtype(), t.device(), t.shape()));
    }

    /** A float64 0-d scalar coefficient cast to the dtype of the tensor it multiplies. */
    static Tensor cast(Tensor coefficient, Tensor like) {
        return coefficient.to(like.dtype());
    }

    /** {@code lr * schedule(step)} as a float64 0-d tensor (the schedule may be null). */
    static Tensor learningRate(Hyper lr, Schedule schedule, long step, String name, Tensor like) {
        Tensor r = lr.scalar(name, like);
        return schedule == null ? r : r.mul(schedule.at(step));
    }

    /** The global learning rate after {@code step} updates, or NaN for per-parameter rates. */
    static double learningRate(Hyper lr, Schedule schedule, long step) {
        if (lr instanceof Hyper.PerParam) return Double.NaN;
        double v = lr.value(null);
        return schedule == null ? v : v * schedule.at(step);
    }
}
