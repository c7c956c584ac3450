package dev.proxima.tensor;

/**
 * Element types. Floating types carry values and gradients; {@link #INT32} carries indices
 * (argmax results, gather/scatter positions, class labels) and never asks for gradients.
 *
 * <p>{@link #BFLOAT16} is a storage type: the upper half of a float32 (sign, 8 exponent bits,
 * 7 mantissa bits), held as the raw bits in a {@code short} per element (see {@link BFloat16}).
 * Kernels widen it to float32, compute and accumulate there, and round the result to bfloat16
 * once (nearest, ties to even). Nothing outside the backends switches on the element width.
 */
public enum DType {
    FLOAT32(4, true),
    FLOAT64(8, true),
    INT32(4, false),
    BFLOAT16(2, true);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for types that hold real numbers and may carry gradients. */
    public boolean isFloating() {
        return floating;
    }

    /**
     * The type both operands are converted to when two types meet in a binary op: the wider
     * floating type, as PyTorch (bfloat16 with float32 gives float32; with int32, bfloat16).
     */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a == FLOAT64 || b == FLOAT64) return FLOAT64;
        if (a == FLOAT32 || b == FLOAT32) return FLOAT32;
        if (a == BFLOAT16 || b == BFLOAT16) return BFLOAT16;
        return FLOAT32;
    }

    /** Lower-case name as in PyTorch and NumPy ({@code float32}, {@code bfloat16}). */
    @Override
    public String toString() {
        return name().toLowerCase();
    }
}
