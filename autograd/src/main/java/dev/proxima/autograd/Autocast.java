package dev.proxima.autograd;

import dev.proxima.tensor.DType;

/**
 * Mixed precision as PyTorch's {@code torch.autocast(device_type="cpu", dtype=torch.bfloat16)}:
 * inside a scope, matrix products ({@link Tensor#matmul}, so {@code Linear} and attention too)
 * and convolutions ({@link Tensor#conv2d}) round their float32 operands to bfloat16 and compute
 * there: the products accumulate in float32 and are rounded once to bfloat16, as PyTorch's CPU
 * kernels do. Everything else keeps its dtype, so the float32 parameters are the master
 * weights and reductions, softmax, norms and losses stay float32.
 *
 * <pre>{@code
 * try (var cast = Autocast.bf16()) {
 *     Tensor loss = model.apply(params, x).crossEntropy(y);   // matmuls and convs in bfloat16
 * }
 * // the gradients are float32, for float32 parameters; the optimizer steps them in float32
 * }</pre>
 *
 * <p>The casts are recorded ops ({@link Tensor#to(DType)}), so gradients flow through them as
 * through any op: the incoming gradient is rounded to bfloat16, the product's two adjoint
 * products run in bfloat16, and the cast back to the parameter's dtype hands the optimizer a
 * float32 gradient (with bfloat16 values), as under PyTorch's autocast.
 *
 * <p>One difference from PyTorch, by choice: the op's result is cast back to float32 (its value
 * is the bfloat16 one, exactly). PyTorch returns the bfloat16 tensor and upcasts again in each
 * op of its float32 list (softmax, sums, norms, losses); returning float32 gives those ops the
 * same inputs without a list to keep, and the elementwise ops between them (bias, activation)
 * compute in float32, a little more accurately than PyTorch's bfloat16 ones.
 *
 * <p>Rules of the cast, as PyTorch's: only float32 operands are cast (a float64 computation, a
 * gradient check say, is never lowered; an op with a float64 operand is left alone); operands
 * already in bfloat16 stay. The setting is per thread, as PyTorch's; scopes nest, and
 * {@link #disabled()} turns it off inside an enclosing scope. A backward pass runs with it off
 * whatever scope it is called in: the rules follow the dtypes the forward pass recorded.
 */
public final class Autocast {
    /** The dtype products are lowered to on this thread, or null when autocast is off. */
    private static final ThreadLocal<DType[]> LOWER_TO = ThreadLocal.withInitial(() -> new DType[1]);

    private Autocast() {}

    /** A scope in which matmul and conv2d of float32 operands compute in bfloat16; close restores the previous setting. */
    public static Autograd.Scope bf16() {
        return set(DType.BFLOAT16);
    }

    /**
     * {@code body} run inside a {@link #bf16()} scope, for a call where a try block is awkward:
     * {@code Tensor out = Autocast.bf16(() -> model.apply(params, x));}
     */
    public static <T> T bf16(java.util.function.Supplier<T> body) {
        try (Autograd.Scope cast = bf16()) {
            return body.get();
        }
    }

    /** A scope with autocast off (PyTorch's {@code autocast(enabled=False)}): a region that must stay in float32. */
    public static Autograd.Scope disabled() {
        return set(null);
    }

    /** Whether matmul and conv2d are lowered on this thread now. */
    public static boolean isEnabled() {
        return LOWER_TO.get()[0] != null;
    }

    private static Autograd.Scope set(DType dtype) {
        DType[] s = LOWER_TO.get();
        DType saved = s[0];
        s[0] = dtype;
        return () -> s[0] = saved;
    }

    /** A product of two operands (matmul, conv2d), under the current setting. */
    @FunctionalInterface
    interface Product {
        Tensor apply(Tensor a, Tensor b);
    }

    /**
     * {@code op(a, b)}, lowered when autocast is on and the operands are float32 or bfloat16 with
     * at least one float32: both cast to bfloat16, the product computed there, the result cast
     * back to float32. Otherwise {@code op(a, b)} as it is.
     */
    static Tensor product(Tensor a, Tensor b, Product op) {
        DType lower = LOWER_TO.get()[0];
        if (lower == null || !eligible(a.dtype(), b.dtype())) return op.apply(a, b);
        return op.apply(a.to(lower), b.to(lower)).to(DType.FLOAT32);
    }

    private static boolean eligible(DType a, DType b) {
        boolean lowOrSingle = (a == DType.FLOAT32 || a == DType.BFLOAT16) && (b == DType.FLOAT32 || b == DType.BFLOAT16);
        return lowOrSingle && (a == DType.FLOAT32 || b == DType.FLOAT32);
    }
}
