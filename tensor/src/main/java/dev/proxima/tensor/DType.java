package dev.proxima.tensor;

/**
 * Element types. Floating types carry values and gradients; {@link #INT32} carries indices
 * (argmax results, gather/scatter positions, class labels) and never asks for gradients.
 *
 * <p>Half-width storage (bfloat16, float16) is meant to be added as further constants whose
 * kernels compute in float32: nothing outside the backends switches on the element width.
 */
public enum DType {
    FLOAT32(4, true),
    FLOAT64(8, true),
    INT32(4, false);

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

    /** The type both operands are converted to when two types meet in a binary op. */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a == FLOAT64 || b == FLOAT64) return FLOAT64;
        return FLOAT32;
    }

    /** Lower-case name as in PyTorch and NumPy ({@code float32}). */
    @Override
    public String toString() {
        return name().toLowerCase();
    }
}
