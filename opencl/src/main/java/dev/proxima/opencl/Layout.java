package dev.proxima.opencl;

import dev.proxima.tensor.Shapes;

/**
 * The host side of the {@code Layout} struct in {@code common.cl}: an iteration shape and,
 * per operand, an element offset and strides, coalesced by {@link Shapes#coalesce} (the CPU
 * kernels' walker uses the same), so the kernels see the fewest dimensions possible (one, for
 * an all-contiguous set: the fast path).
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
        Shapes.Coalesced c = Shapes.coalesce(shape, strides);
        if (c.shape().length > MAXD)
            throw new IllegalArgumentException("opencl " + op + ": shape " + Shapes.str(shape) + " has " + c.shape().length
                    + " dimensions that cannot be merged; the OpenCL kernels take at most " + MAXD);
        this.shape = c.shape();
        this.strides = c.strides();
        this.offsets = offsets.clone();
        this.n = Shapes.numel(shape);
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
