package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import java.util.function.UnaryOperator;

/** A parameter-free elementwise (or per-row) function as a module: ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax. */
public final class Activation extends Module {
    private final String name;
    private final UnaryOperator<Tensor> f;

    private Activation(String name, UnaryOperator<Tensor> f) {
        this.name = name;
        this.f = f;
    }

    public static Activation relu() { return new Activation("ReLU", Tensor::relu); }
    /** Exact (erf) GELU, PyTorch's default. */
    public static Activation gelu() { return new Activation("GELU", Tensor::gelu); }
    /** GELU with the tanh approximation (approximate="tanh"). */
    public static Activation geluTanh() { return new Activation("GELU(tanh)", Tensor::geluTanh); }
    public static Activation silu() { return new Activation("SiLU", Tensor::silu); }
    public static Activation tanh() { return new Activation("Tanh", Tensor::tanh); }
    public static Activation sigmoid() { return new Activation("Sigmoid", Tensor::sigmoid); }
    public static Activation softmax(int axis) { return new Activation("Softmax(" + axis + ")", t -> t.softmax(axis)); }
    public static Activation logSoftmax(int axis) { return new Activation("LogSoftmax(" + axis + ")", t -> t.logSoftmax(axis)); }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        return f.apply(x);
    }

    @Override
    public String toString() {
        return name;
    }
}
