package dev.proxima.opencl;

import dev.proxima.tensor.Shapes;

/**
 * The host side of the {@code Layout} struct in {@code common.cl}: an iteration shape and,
 * per operand, an element offset and strides. Adjacent dimensions that are contiguous with
 * each other in every operand are merged and size-1 dimensions dropped, so the kernels see
 * the fewest dimensions possible (one, for an all-contiguous set: the fast path).
 */
final class Layout {
    static final int MAXD = 8, MAXOP = 4;
    /** 2 + MAXD + MAXOP + MAXOP * MAXD + 2 padding ints: 48 ints, 192 bytes. */
    static final int INTS = 48;

    final int[] shape;
    final int[][] strides;
    final int[] offsets;
    final int n;

    /** {@code op} and the original shape name the caller in the error for too many dimensions. */
    Layout(String op, int[] shape, int[][] strides, int[] offsets) {
        int nd = shape.length, ops = strides.length;
        int[] s = new int[nd + 1];
        int[][] st = new int[ops][nd + 1];
        int k = 0;
        for (int d = 0; d < nd; d++) {
            if (shape[d] == 1) continue;
            if (k > 0 && mergeable(st, k - 1, shape[d], strides, d)) {
                s[k - 1] *= shape[d];
                for (int o = 0; o < ops; o++) st[o][k - 1] = strides[o][d];
                continue;
            }
            s[k] = shape[d];
            for (int o = 0; o < ops; o++) st[o][k] = strides[o][d];
            k++;
        }
        if (k == 0) { // a scalar, or every dimension 1
            s[0] = 1;
            k = 1;
        }
        if (k > MAXD)
            throw new IllegalArgumentException("opencl " + op + ": shape " + Shapes.str(shape) + " has " + k
                    + " dimensions that cannot be merged; the OpenCL kernels take at most " + MAXD);
        this.shape = java.util.Arrays.copyOf(s, k);
        this.strides = new int[ops][];
        for (int o = 0; o < ops; o++) this.strides[o] = java.util.Arrays.copyOf(st[o], k);
        this.offsets = offsets.clone();
        this.n = Shapes.numel(shape);
    }

    private static boolean mergeable(int[][] merged, int at, int innerSize, int[][] strides, int d) {
        for (int o = 0; o < strides.length; o++)
            if (merged[o][at] != strides[o][d] * innerSize) return false;
        return true;
    }

    /** The struct as kernel-argument bytes (ints in the device's byte order, which JOCL uses). */
    int[] pack() {
        int[] p = new int[INTS];
        p[0] = shape.length;
        p[1] = n;
        System.arraycopy(shape, 0, p, 2, shape.length);
        System.arraycopy(offsets, 0, p, 2 + MAXD, offsets.length);
        for (int o = 0; o < strides.length; o++)
            System.arraycopy(strides[o], 0, p, 2 + MAXD + MAXOP + o * MAXD, strides[o].length);
        return p;
    }
}
