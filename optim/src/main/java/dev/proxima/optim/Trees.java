package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;

/** Small helpers shared by the rules: argument checks and zero buffers. */
final class Trees {
    private Trees() {}

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
