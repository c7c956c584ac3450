package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.UnaryOp;

/**
 * Elementwise kernels over one row: {@code n} elements at an offset and an inner stride per
 * operand (stride 0 broadcasts one value), written contiguously into {@code out}. Arrays are
 * {@code float[]} or {@code double[]}, all of one type. {@link ScalarRowKernels} is the
 * reference and the fallback; the SIMD implementation must agree with it.
 */
interface RowKernels {
    void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n);

    void binary(BinaryOp op, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int n);
}
