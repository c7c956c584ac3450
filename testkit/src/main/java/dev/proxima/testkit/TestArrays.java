package dev.proxima.testkit;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/** SplittableRandom inputs (as strided views) and plain row-major helpers for the reference implementations. */
public final class TestArrays {
    private TestArrays() {}

    /**
     * A float64 array of {@code shape} that is a permuted, step-sliced, offset view of a larger
     * storage, so ops see non-trivial strides. Values are Gaussian, or small integers when
     * {@code ties} (to provoke equal maxima).
     */
    public static NDArray randomView(SplittableRandom r, int[] shape, boolean ties) {
        int nd = shape.length;
        int[] step = new int[nd], start = new int[nd], full = new int[nd];
        for (int d = 0; d < nd; d++) {
            step[d] = 1 + r.nextInt(2);
            start[d] = r.nextInt(2);
            full[d] = start[d] + shape[d] * step[d] + r.nextInt(2);
        }
        int[] perm = permutation(r, nd), inverse = new int[nd], baseShape = new int[nd];
        for (int i = 0; i < nd; i++) {
            baseShape[i] = full[perm[i]];
            inverse[perm[i]] = i;
        }
        double[] data = new double[Shapes.numel(baseShape)];
        for (int i = 0; i < data.length; i++) data[i] = ties ? r.nextInt(4) : r.nextGaussian();
        NDArray v = NDArray.of(data, baseShape).permute(inverse);
        for (int d = 0; d < nd; d++) v = v.slice(d, start[d], start[d] + shape[d] * step[d], step[d]);
        assertArrayEquals(shape, v.shape());
        return v;
    }

    public static NDArray randomView(SplittableRandom r, int... shape) {
        return randomView(r, shape, false);
    }

    /** An INT32 array of {@code shape} with values in [lo, hi), also as a strided view. */
    public static NDArray randomIndex(SplittableRandom r, int[] shape, int lo, int hi) {
        NDArray v = randomView(r, shape, false);
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) d[i] = lo + r.nextInt(hi - lo);
        // Write the indices through the view's layout: build the contiguous values, then copy
        // them into an int32 view of the same strides.
        NDArray base = NDArray.zeros(DType.INT32, v.storage().size());
        NDArray target = base.asStrided(v.shape(), v.strides(), v.offset());
        v.backend().copyInto(target, NDArray.of(d, shape), false);
        return target;
    }

    public static int[] permutation(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    public static int[] randomShape(SplittableRandom r, int minRank, int maxRank, int maxDim) {
        int[] s = new int[minRank + r.nextInt(maxRank - minRank + 1)];
        for (int i = 0; i < s.length; i++) s[i] = 1 + r.nextInt(maxDim);
        return s;
    }

    /** Row-major position of {@code idx} in {@code shape}. */
    public static int flat(int[] shape, int... idx) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
        return f;
    }

    /** Calls {@code body} with every multi-index of {@code shape} in row-major order (the array is reused). */
    public static void forEachIndex(int[] shape, Consumer<int[]> body) {
        int n = Shapes.numel(shape);
        int[] idx = new int[shape.length];
        for (int k = 0; k < n; k++) {
            body.accept(idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
    }

    public static double dot(NDArray a, NDArray b) {
        assertArrayEquals(a.shape(), b.shape(), "dot of different shapes");
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    public static void assertClose(double[] expected, int[] expectedShape, NDArray actual, double tol) {
        assertArrayEquals(expectedShape, actual.shape(), "shape");
        double[] a = actual.toDoubleArray();
        for (int i = 0; i < a.length; i++)
            if (!(Math.abs(a[i] - expected[i]) <= tol * (1 + Math.abs(expected[i]))))
                fail("element " + i + ": expected " + expected[i] + " but got " + a[i] + " (shape " + Shapes.str(expectedShape) + ")");
    }

    public static void assertAdjoint(double lhs, double rhs) {
        assertEquals(lhs, rhs, 1e-10 * (1 + Math.abs(lhs)), "adjoint identity");
    }
}
