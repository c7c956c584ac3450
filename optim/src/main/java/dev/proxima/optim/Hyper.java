package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;
import java.util.Objects;

/**
 * A hyperparameter of an update rule (a learning rate, a momentum, a beta...): a plain
 * {@code double}, a one-element {@link Tensor} (which may require gradients), or one such
 * tensor per parameter name (a per-layer learning rate).
 *
 * <p>Rules do all their scalar arithmetic (bias corrections, {@code 1 - beta}, step sizes)
 * on float64 0-d tensors on the parameter's device, as PyTorch does it in Python floats,
 * and cast the resulting coefficient to the parameter's dtype last. A
 * {@code double} is therefore exactly the constant tensor of its value: with nothing
 * differentiated, a rule given {@code Hyper.of(Tensor)} holding the same value takes the
 * same ops and follows the same trajectory bit for bit (tested). When the tensor requires
 * gradients, the updates are a differentiable function of it.
 */
public sealed interface Hyper permits Hyper.Constant, Hyper.Scalar, Hyper.PerParam {

    /** A fixed value. */
    static Hyper of(double value) {
        return new Constant(value);
    }

    /** A one-element tensor (0-d or shape [1]); it may require gradients. */
    static Hyper of(Tensor value) {
        return new Scalar(value);
    }

    /**
     * One one-element tensor per parameter name (names the rule's parameters do not have are
     * ignored; a missing name is an error at the step). Tensors may be shared between names,
     * e.g. one learning rate per layer for its weight and bias.
     */
    static Hyper perParam(Params values) {
        return new PerParam(values);
    }

    /**
     * The value for parameter {@code name} as a float64 0-d tensor on the device of
     * {@code like} (the parameter), differentiable in the hyperparameter tensor.
     */
    Tensor scalar(String name, Tensor like);

    /** The current value for parameter {@code name}, as a number (no graph). */
    double value(String name);

    /** True only for a fixed zero: a rule may then leave its term out entirely. */
    default boolean isZero() {
        return false;
    }

    /**
     * A fixed value. It is not checked here: the rule it is given to checks it when built and
     * names the setting ("Sgd: learning rate must be >= 0, got NaN").
     */
    record Constant(double value) implements Hyper {
        @Override public Tensor scalar(String name, Tensor like) { return Tensor.of(NDArray.scalar(value, DType.FLOAT64, like.device())); }
        @Override public double value(String name) { return value; }
        @Override public boolean isZero() { return value == 0; }
        @Override public String toString() { return Double.toString(value); }
    }

    /** One tensor for every parameter. */
    record Scalar(Tensor tensor) implements Hyper {
        public Scalar {
            Objects.requireNonNull(tensor, "Hyper: tensor");
            if (tensor.size() != 1)
                throw new IllegalArgumentException("Hyper: a hyperparameter tensor must have one element, got shape " + Shapes.str(tensor.shape()));
        }

        @Override public Tensor scalar(String name, Tensor like) { return onDevice((tensor.ndim() == 0 ? tensor : tensor.reshape()).to(DType.FLOAT64), like); }
        @Override public double value(String name) { return tensor.item(); }
        @Override public String toString() { return "tensor(" + tensor.item() + (tensor.requiresGrad() ? ", requiresGrad" : "") + ")"; }
    }

    /** One tensor per parameter name. */
    record PerParam(Params values) implements Hyper {
        public PerParam {
            Objects.requireNonNull(values, "Hyper: values");
            for (var e : values)
                if (e.getValue().size() != 1)
                    throw new IllegalArgumentException("Hyper.perParam: '" + e.getKey() + "' has shape " + Shapes.str(e.getValue().shape()) + "; need one element");
        }

        @Override public Tensor scalar(String name, Tensor like) { return new Scalar(lookup(name)).scalar(name, like); }
        @Override public double value(String name) { return lookup(name).item(); }

        private Tensor lookup(String name) {
            if (!values.contains(name))
                throw new IllegalArgumentException("Hyper.perParam: no value for parameter '" + name + "'; names are " + values.names());
            return values.get(name);
        }

        @Override public String toString() { return "perParam" + values.names(); }
    }

    /**
     * {@code t} on {@code like}'s device. A tensor that requires gradients cannot move,
     * because a move between devices is not recorded in the graph.
     */
    private static Tensor onDevice(Tensor t, Tensor like) {
        if (t.device().equals(like.device())) return t;
        if (t.requiresGrad())
            throw new IllegalArgumentException("Hyper: a hyperparameter that requires gradients lives on " + t.device()
                    + " but the parameter is on " + like.device() + "; create it on the parameters' device");
        return t.to(like.device());
    }
}
