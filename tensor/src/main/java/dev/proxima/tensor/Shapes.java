package dev.proxima.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by every backend: element counts, strides, broadcasting, axes. */
public final class Shapes {
    private Shapes() {}

    /** Number of elements; rejects sizes past 2^31-1, the limit of a Java array. */
    public static int numel(int[] shape) {
        return numel(null, shape);
    }

    /** {@link #numel(int[])} with {@code op} named in the error. */
    public static int numel(String op, int[] shape) {
        // Called on every op (size(), results, broadcasts): the messages are built only on error.
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(who(op) + "negative dimension in shape " + str(shape));
            n *= d;
            if (n > Integer.MAX_VALUE)
                throw new IllegalArgumentException(who(op) + "shape " + str(shape) + " has more than 2^31-1 elements");
        }
        return (int) n;
    }

    private static String who(String op) {
        return op == null ? "" : op + ": ";
    }

    /** Row-major strides of a contiguous array of this shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** NumPy broadcasting of two shapes; {@code op} names the caller in the error. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            out[i] = da == 1 ? db : da;
        }
        long size = 1;
        for (int d : out) {
            size *= d;
            if (size > Integer.MAX_VALUE) // a result no Java array holds: say which op and which operands asked for it
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " broadcast to " + str(out)
                        + ", which has more than 2^31-1 elements (the limit of a Java array)");
        }
        return out;
    }

    /**
     * The heap's limit, fixed for the JVM's life: read once, not by a native
     * {@link Runtime#maxMemory()} call on every allocation.
     */
    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    /**
     * Checks, before allocating, that an array of {@code shape} and {@code dtype} fits in the
     * Java heap at all ({@link Runtime#maxMemory()}; what is free now is not the limit, since
     * a collection may free more). Past it the JVM would throw a bare OutOfMemoryError; this
     * says what was asked for and what the heap allows, as PyTorch's allocator does.
     */
    public static void checkHeap(String op, DType dtype, int[] shape) {
        long bytes = (long) numel(op, shape) * dtype.byteSize();
        long max = MAX_HEAP;
        if (bytes > max)
            throw new IllegalArgumentException(op + ": a " + dtype + " array of shape " + str(shape) + " needs " + bytes
                    + " bytes, more than the Java heap allows (" + max + " bytes maximum); raise it with -Xmx"
                    + " (the proxima launcher passes PROXIMA_JAVA_OPTS to java)");
    }

    /**
     * The error for an allocation the heap could not satisfy although {@link #checkHeap}
     * passed (the request is below the maximum, but more than a collection could free): an
     * OutOfMemoryError still, so code that handles one keeps working, that says what was
     * asked for and what the heap holds, instead of a bare "Java heap space".
     */
    public static OutOfMemoryError outOfMemory(String op, DType dtype, int[] shape, OutOfMemoryError cause) {
        Runtime rt = Runtime.getRuntime();
        long bytes = (long) numel(shape) * dtype.byteSize();
        long used = rt.totalMemory() - rt.freeMemory();
        OutOfMemoryError e = new OutOfMemoryError(op + ": out of heap allocating a " + dtype + " array of shape " + str(shape)
                + " (" + bytes + " bytes); the Java heap has " + MAX_HEAP + " bytes maximum, " + used + " in use and "
                + (MAX_HEAP - used) + " not in use, not enough in one piece after a collection; free references to large arrays "
                + "or raise -Xmx (the proxima launcher passes PROXIMA_JAVA_OPTS to java)");
        e.initCause(cause);
        return e;
    }

    /** Resolves a possibly negative axis against {@code ndim}. */
    public static int axis(String op, int axis, int ndim) {
        return axis(op, axis, ndim, null);
    }

    /** Resolves a possibly negative axis of an array of {@code shape}, naming the shape in the error. */
    public static int axis(String op, int axis, int[] shape) {
        return axis(op, axis, shape.length, shape);
    }

    private static int axis(String op, int axis, int ndim, int[] shape) {
        int a = axis < 0 ? axis + ndim : axis;
        if (a < 0 || a >= ndim)
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for a " + ndim + "-d array"
                    + (shape == null ? "" : " of shape " + str(shape)));
        return a;
    }

    /** Resolves, sorts and de-duplicates-checks a set of axes; an empty array means all axes. */
    public static int[] axes(String op, int[] axes, int ndim) {
        return axes(op, axes, ndim, null);
    }

    /** {@link #axes(String, int[], int)} for an array of {@code shape}, naming the shape in errors. */
    public static int[] axes(String op, int[] axes, int[] shape) {
        return axes(op, axes, shape.length, shape);
    }

    private static int[] axes(String op, int[] axes, int ndim, int[] shape) {
        if (axes == null || axes.length == 0) {
            int[] all = new int[ndim];
            for (int i = 0; i < ndim; i++) all[i] = i;
            return all;
        }
        int[] r = new int[axes.length];
        for (int i = 0; i < axes.length; i++) r[i] = axis(op, axes[i], ndim, shape);
        Arrays.sort(r);
        for (int i = 1; i < r.length; i++)
            if (r[i] == r[i - 1]) throw new IllegalArgumentException(op + ": axis " + r[i] + " given twice in " + Arrays.toString(axes)
                    + (shape == null ? "" : " for shape " + str(shape)));
        return r;
    }

    /** {@code [2, 3]}: the form every error message uses. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** An iteration shape and per-operand strides after {@link #coalesce}. */
    public record Coalesced(int[] shape, int[][] strides) {}

    /**
     * The fewest dimensions that walk several same-shape strided operands in the same order:
     * adjacent dimensions that are contiguous with each other in every operand are merged and
     * size-1 dimensions dropped (a contiguous set becomes one dimension, a transposed one a
     * set of strided rows). A 0-d or all-ones shape becomes {@code [1]}. Shared by the CPU
     * kernels' row walker and the OpenCL layout struct, so both see the same dimensions.
     *
     * @param strides one stride array per operand, each as long as {@code shape}
     */
    public static Coalesced coalesce(int[] shape, int[][] strides) {
        int nd = shape.length, ops = strides.length;
        int[] s = new int[Math.max(nd, 1)];
        int[][] st = new int[ops][Math.max(nd, 1)];
        int k = 0;
        for (int d = 0; d < nd; d++) {
            if (shape[d] == 1 && nd > 1) continue; // size-1 dims contribute nothing
            // Merged sizes stay ints: a view (stride-0 broadcast) may describe more than 2^31-1
            // elements, and a merged size that wrapped around would silently drop most of them.
            if (k > 0 && (long) s[k - 1] * shape[d] <= Integer.MAX_VALUE && mergeable(st, k - 1, shape[d], strides, d)) {
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
        int[][] outStrides = new int[ops][];
        for (int o = 0; o < ops; o++) outStrides[o] = java.util.Arrays.copyOf(st[o], k);
        return new Coalesced(java.util.Arrays.copyOf(s, k), outStrides);
    }

    /** Whether dimension {@code d} continues merged dimension {@code at} in every operand. */
    private static boolean mergeable(int[][] merged, int at, int innerSize, int[][] strides, int d) {
        for (int o = 0; o < strides.length; o++)
            if (merged[o][at] != strides[o][d] * innerSize) return false;
        return true;
    }
}
