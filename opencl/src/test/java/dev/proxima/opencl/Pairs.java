package dev.proxima.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.OpDomains;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Test arrays that exist twice, on the CPU and on OpenCL, with the same values and the same
 * view structure (contiguous, permuted, strided slice with an offset, or stride-0 broadcast).
 */
final class Pairs {
    private Pairs() {}

    record Pair(NDArray cpu, NDArray cl) {
        Pair map(java.util.function.UnaryOperator<NDArray> f) {
            return new Pair(f.apply(cpu), f.apply(cl));
        }
    }

    enum View { CONTIGUOUS, PERMUTED, SLICED, BROADCAST }

    /** What the values look like, where an op's own domain ({@link OpDomains}) is not what is tested. */
    enum Values {
        NORMAL,          // N(0, 2)
        FEW,             // integers 0..3: ties for argmax, equal comparisons
        SPECIAL,         // N(0, 2) with NaN, +inf, -inf sprinkled in
        NAN              // N(0, 2) with NaN sprinkled in
    }

    static Device cl() {
        return Device.opencl();
    }

    static double[] values(SplittableRandom r, int n, Values kind) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case NORMAL -> 2 * r.nextGaussian();
                case FEW -> r.nextInt(4);
                case SPECIAL -> switch (r.nextInt(12)) {
                    case 0 -> Double.NaN;
                    case 1 -> Double.POSITIVE_INFINITY;
                    case 2 -> Double.NEGATIVE_INFINITY;
                    default -> 2 * r.nextGaussian();
                };
                case NAN -> r.nextInt(8) == 0 ? Double.NaN : 2 * r.nextGaussian();
            };
        }
        return v;
    }

    /** A pair of arrays of {@code shape} built through {@code view} from a random base. */
    static Pair make(int[] shape, DType dtype, View view, Values kind, SplittableRandom r) {
        return make(shape, dtype, view, n -> values(r, n, kind), r);
    }

    /** A pair whose values come from an op's row of the shared domain table ({@link OpDomains}). */
    static Pair make(int[] shape, DType dtype, View view, Domain domain, SplittableRandom r) {
        return make(shape, dtype, view, n -> domain.sample(r, dtype, n), r);
    }

    private static Pair make(int[] shape, DType dtype, View view, java.util.function.IntFunction<double[]> values, SplittableRandom r) {
        int nd = shape.length;
        if (nd == 0) view = View.CONTIGUOUS;
        int[] base = shape.clone();
        int[] perm = null;
        int axis = nd == 0 ? 0 : r.nextInt(nd);
        switch (view) {
            case PERMUTED -> {
                perm = shuffled(nd, r);
                for (int i = 0; i < nd; i++) base[perm[i]] = shape[i];
            }
            case SLICED -> base[axis] = 2 * shape[axis] + 1;
            case BROADCAST -> {
                for (int i = 0; i < nd; i++) if (r.nextInt(2) == 0) base[i] = 1;
            }
            default -> {}
        }
        NDArray cpu = host(values.apply(Shapes.numel(base)), dtype, base);
        NDArray cl = cpu.to(cl());
        Pair p = new Pair(cpu, cl);
        int[] pm = perm;
        return switch (view) {
            case CONTIGUOUS -> p;
            case PERMUTED -> p.map(x -> x.permute(pm));
            case SLICED -> p.map(x -> x.slice(axis, 1, 1 + 2 * shape[axis], 2));
            case BROADCAST -> p.map(x -> x.expand(shape));
        };
    }

    /** A CPU array of {@code dtype} holding {@code v}. */
    static NDArray host(double[] v, DType dtype, int[] shape) {
        NDArray d = NDArray.wrap(Device.cpu().backend().upload(v.clone()), shape);
        return d.to(dtype);
    }

    static int[] shuffled(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** The OpenCL result against the CPU's: same shape and dtype, values within tolerance (NaN equals NaN). */
    static void assertClose(String what, NDArray expected, NDArray actual, double rtol, double atol) {
        assertEquals(Device.cpu(), expected.device(), what + ": expected side must be the CPU");
        assertEquals(Device.opencl(), actual.device(), what + ": result left the OpenCL device");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i]) && Double.isNaN(a[i])) continue;
            if (e[i] == a[i]) continue;
            if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i])))
                throw new AssertionError(what + ": element " + i + " of shape " + Arrays.toString(expected.shape())
                        + ": cpu " + e[i] + " vs opencl " + a[i] + " (rtol " + rtol + ", atol " + atol + ")");
        }
    }

    /**
     * float32 results may differ by the few ulps OpenCL allows its builtins and by summation
     * order; bfloat16 ones are those float32 results rounded once, so such a difference can
     * move a result by one bfloat16 ulp (at most 2^-7 of it).
     */
    static double rtol(DType t) {
        return t == DType.FLOAT64 ? 1e-11 : t == DType.BFLOAT16 ? 0x1p-7 : 1e-4;
    }

    static double atol(DType t) {
        return t == DType.FLOAT64 ? 1e-13 : 1e-6;
    }
}
