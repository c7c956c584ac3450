package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;

/**
 * Kernels over one row: {@code n} elements at an offset and an inner stride per operand
 * (stride 0 broadcasts one value). Arrays are {@code float[]} or {@code double[]}, all of one
 * type, except the {@code double[]} accumulators of the reductions, whose input may also be
 * {@code short[]} bfloat16 bits (widened exactly on load, so a bfloat16 reduction has the bits
 * of the float32 one over the widened values). The bfloat16 elementwise ops run the float32
 * kernels on chunks converted by {@link #widen} and {@link #narrow}. {@link ScalarRowKernels}
 * is the reference and the fallback; the SIMD implementation must agree with it (to rounding
 * for the transcendental ops and for the order in which sums are formed).
 */
interface RowKernels {
    /** {@code out[oo + i] = op(x[xo + i*xs])}. */
    void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n);

    /** {@code out[oo + i] = op(a[ao + i*as], b[bo + i*bs])}. */
    void binary(BinaryOp op, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int n);

    /** The reduction of {@code x[xo + i*xs]}, {@code i < n}, starting from the op's identity, in double. */
    double reduce(ReduceOp op, Object x, int xo, int xs, int n);

    /**
     * {@code acc[ao + i] = op.combine(acc[ao + i], x[xo + r*rs + i*xs])} for {@code r = 0, 1, ..., rows-1}
     * in turn: {@code rows} rows folded into one row of accumulators.
     */
    void accumulate(ReduceOp op, double[] acc, int ao, Object x, int xo, int xs, int n, int rows, int rs);

    /** {@code out[oo + i] = } the float32 value of the bfloat16 bits {@code x[xo + i]}: exact (a shift). */
    void widen(short[] x, int xo, float[] out, int oo, int n);

    /** {@code out[oo + i] = x[xo + i]} rounded to bfloat16, to nearest even, NaN kept: {@link dev.proxima.tensor.BFloat16#fromFloat}'s bits. */
    void narrow(float[] x, int xo, short[] out, int oo, int n);

    /** Softmax, or log-softmax when {@code log}, of one row into {@code out[oo + i*os]}. */
    void softmax(Object x, int xo, int xs, Object out, int oo, int os, int n, boolean log);

    /**
     * Max pooling's 2x2 windows at stride 2 without padding, over one float32 plane whose rows
     * are w wide from {@code base}: {@code out[at + i·ow + j]} is the flat index {@code y·w + z}
     * of the first maximum of window (i, j) in row-major window order, NaN counting as the
     * maximum (the first NaN wins), for i < oh, j < ow; the plane holds at most 2^24 elements.
     */
    void maxPool2x2(float[] f, int base, int w, int oh, int ow, int[] out, int at);
}
