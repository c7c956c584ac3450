package dev.proxima.tensor.cpu;

/**
 * Walks the elements of several same-shape strided operands row by row. Adjacent dimensions
 * that are contiguous with each other in every operand are merged first, so a contiguous
 * array is one long row and a transposed one a set of strided rows; the kernels then see
 * (offset per operand, inner stride per operand, row length) and can use SIMD when the inner
 * strides are 1 (or 0, a broadcast).
 */
final class Strided {
    /** The body of a walk: one row of {@code n} elements starting at {@code offsets}. */
    interface Row {
        void run(int[] offsets, int n);
    }

    final int[] shape;      // merged shape; the last dimension is the row
    final int[][] strides;  // per operand, merged strides

    Strided(int[] shape, int[][] strides) {
        dev.proxima.tensor.Shapes.Coalesced c = dev.proxima.tensor.Shapes.coalesce(shape, strides);
        this.shape = c.shape();
        this.strides = c.strides();
    }

    int rowLength() {
        return shape[shape.length - 1];
    }

    int rowCount() {
        long n = 1;
        for (int i = 0; i < shape.length - 1; i++) n *= shape[i];
        if (n > Integer.MAX_VALUE)
            throw new IllegalArgumentException("cpu kernel: a view of shape " + java.util.Arrays.toString(shape)
                    + " (after merging) has more than 2^31-1 rows; make it contiguous in smaller pieces");
        return (int) n;
    }

    int innerStride(int operand) {
        return strides[operand][shape.length - 1];
    }

    /** Runs rows {@code [from, to)} in order; {@code base} holds each operand's starting offset. */
    void forRows(int[] base, int from, int to, Row body) {
        int nd = shape.length, ops = strides.length, n = rowLength();
        if (n == 0 || from >= to) return; // also an empty outer dimension, which has no rows
        int[] idx = new int[Math.max(nd - 1, 0)];
        int[] off = new int[ops];
        // Decompose `from` into an index over the outer dimensions.
        int r = from;
        for (int d = nd - 2; d >= 0; d--) {
            idx[d] = r % shape[d];
            r /= shape[d];
        }
        for (int o = 0; o < ops; o++) {
            off[o] = base[o];
            for (int d = 0; d < nd - 1; d++) off[o] += idx[d] * strides[o][d];
        }
        int[] view = new int[ops];
        for (int row = from; row < to; row++) {
            System.arraycopy(off, 0, view, 0, ops);
            body.run(view, n);
            for (int d = nd - 2; d >= 0; d--) { // odometer step
                idx[d]++;
                for (int o = 0; o < ops; o++) off[o] += strides[o][d];
                if (idx[d] < shape[d]) break;
                for (int o = 0; o < ops; o++) off[o] -= strides[o][d] * shape[d];
                idx[d] = 0;
            }
        }
    }
}
