package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The CPU backend's reductions and softmax against element-by-element references, on random
 * shapes, axis sets and views (permuted, sliced), including arrays large enough to be split
 * across threads.
 */
class CpuReduceTest {
    @Property(tries = 80)
    void reduceMatchesReference(@ForAll ReduceOp op, @ForAll boolean dbl, @ForAll long seed) {
        Random r = new Random(seed);
        NDArray x = randomView(r, dbl ? DType.FLOAT64 : DType.FLOAT32, op == ReduceOp.PROD);
        int nd = x.ndim();
        int[] shape = x.shape();
        boolean[] red = new boolean[nd];
        int count = 0;
        for (int d = 0; d < nd; d++) if (red[d] = r.nextInt(3) > 0) count++;
        if (count == 0) red[r.nextInt(nd)] = true;
        int[] axes = java.util.stream.IntStream.range(0, nd).filter(d -> red[d]).toArray();
        NDArray got = CpuBackend.INSTANCE.reduce(op, x, axes);
        int[] outShape = shape.clone();
        for (int a : axes) outShape[a] = 1;
        assertEquals(java.util.Arrays.toString(outShape), java.util.Arrays.toString(got.shape()));
        double[] g = got.toDoubleArray(), v = x.toDoubleArray();
        double[] ref = new double[g.length], abs = new double[g.length];
        java.util.Arrays.fill(ref, op.identity());
        int[] outStrides = Shapes.contiguousStrides(outShape), idx = new int[nd];
        for (int e = 0; e < v.length; e++) {
            int rem = e, o = 0;
            for (int d = nd - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
            for (int d = 0; d < nd; d++) if (!red[d]) o += idx[d] * outStrides[d];
            ref[o] = op.combine(ref[o], v[e]);
            abs[o] += Math.abs(v[e]);
        }
        for (int i = 0; i < g.length; i++) {
            double tol = switch (op) {
                case SUM -> (dbl ? 1e-13 : 1e-6) * abs[i] + (dbl ? 0 : Math.ulp((float) ref[i]));
                // Long products underflow; the order of multiplication decides whether a result
                // ends as a subnormal or as 0, so subnormal magnitudes count as equal.
                case PROD -> (dbl ? 1e-13 : 1e-6) * Math.abs(ref[i]) + (dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL);
                case MAX, MIN -> 0;
            };
            assertTrue(Math.abs(g[i] - ref[i]) <= tol, op + " over " + java.util.Arrays.toString(axes) + " of "
                    + Shapes.str(shape) + " at " + i + ": " + g[i] + " vs " + ref[i]);
        }
    }

    @Property(tries = 60)
    void softmaxMatchesReference(@ForAll boolean log, @ForAll boolean dbl, @ForAll long seed) {
        Random r = new Random(seed);
        NDArray x = randomView(r, dbl ? DType.FLOAT64 : DType.FLOAT32, false);
        int axis = r.nextInt(x.ndim());
        double[] got = CpuBackend.INSTANCE.softmax(x, axis, log).toDoubleArray();
        // The reference: exp(x - max) / sum along the axis, via the composed NDArray ops in double.
        NDArray xd = x.to(DType.FLOAT64);
        NDArray z = xd.sub(xd.max(new int[] {axis}, true));
        NDArray ref = log ? z.sub(z.exp().sum(new int[] {axis}, true).log()) : z.exp().div(z.exp().sum(new int[] {axis}, true));
        double[] e = ref.toDoubleArray();
        double tol = dbl ? 1e-12 : 2e-5;
        for (int i = 0; i < e.length; i++)
            assertTrue(Math.abs(got[i] - e[i]) <= tol * (log ? 1 + Math.abs(e[i]) : Math.abs(e[i]) * 10 + 1e-30),
                    (log ? "log" : "") + "softmax axis " + axis + " of " + Shapes.str(x.shape()) + " at " + i + ": " + got[i] + " vs " + e[i]);
    }

    /** A random array of rank 1..4, sometimes large (threads), sometimes permuted or sliced. */
    private static NDArray randomView(Random r, DType dtype, boolean nearOne) {
        int nd = 1 + r.nextInt(4);
        int[] shape = new int[nd];
        boolean big = r.nextInt(4) == 0;
        for (int d = 0; d < nd; d++) shape[d] = 1 + r.nextInt(big ? (nd <= 2 ? 400 : 40) : 9);
        NDArray x = nearOne ? NDArray.uniform(new Rng(r.nextLong()), 0.9, 1.1, dtype, shape)
                : NDArray.randn(new Rng(r.nextLong()), dtype, shape);
        if (r.nextBoolean()) { // permute
            int[] perm = java.util.stream.IntStream.range(0, nd).toArray();
            for (int i = nd - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
            x = x.permute(perm);
        }
        if (r.nextBoolean()) { // slice one axis with a step
            int a = r.nextInt(nd), len = x.shape(a);
            if (len > 2) x = x.slice(a, 1, len, 1 + r.nextInt(2));
        }
        return x;
    }
}
