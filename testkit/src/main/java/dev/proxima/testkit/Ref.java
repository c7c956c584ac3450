package dev.proxima.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.UnaryOp;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;

/**
 * A reference array for the property suites: a dense row-major {@code double[]} and a shape,
 * with every op written as plain index arithmetic. Nothing here calls {@link NDArray}, so a
 * bug in the strided machinery cannot hide in its own expected values.
 */
public final class Ref {
    public final int[] shape;
    public final double[] v;

    public Ref(int[] shape, double[] v) {
        this.shape = shape.clone();
        this.v = v;
        if (count(shape) != v.length) throw new IllegalArgumentException("Ref: " + v.length + " values for " + Arrays.toString(shape));
    }

    public static int count(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public int size() {
        return v.length;
    }

    /** Row-major flat position of a full index. */
    public static int flat(int[] shape, int[] idx) {
        int f = 0;
        for (int i = 0; i < shape.length; i++) f = f * shape[i] + idx[i];
        return f;
    }

    /** The index of flat position {@code f}, written into {@code idx}. */
    public static void unflat(int[] shape, int f, int[] idx) {
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = f % shape[i];
            f /= shape[i];
        }
    }

    public double at(int... idx) {
        return v[flat(shape, idx)];
    }

    /** Builds an array of {@code outShape} whose element at idx is {@code this} at {@code source(idx)}. */
    private Ref gather(int[] outShape, java.util.function.Function<int[], int[]> source) {
        double[] r = new double[count(outShape)];
        int[] idx = new int[outShape.length];
        for (int f = 0; f < r.length; f++) {
            unflat(outShape, f, idx);
            r[f] = at(source.apply(idx));
        }
        return new Ref(outShape, r);
    }

    public Ref map(DoubleUnaryOperator f) {
        double[] r = new double[v.length];
        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(v[i]);
        return new Ref(shape, r);
    }

    /** Rounds every value to float, as a float32 array holds it. */
    public Ref toFloat() {
        return map(x -> (float) x);
    }

    // ---- views ----------------------------------------------------------------------------

    /** out[i0..] = this[idx with idx[perm[k]] = i_k]; perm entries may be negative. */
    public Ref permute(int[] perm) {
        int n = shape.length;
        int[] p = new int[n], out = new int[n];
        for (int k = 0; k < n; k++) {
            p[k] = perm[k] < 0 ? perm[k] + n : perm[k];
            out[k] = shape[p[k]];
        }
        return gather(out, idx -> {
            int[] src = new int[n];
            for (int k = 0; k < n; k++) src[p[k]] = idx[k];
            return src;
        });
    }

    /** Python's positive-step slice semantics, written out: the list of indices taken. */
    public static int[] sliceIndices(int n, int start, int end, int step) {
        int s = start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        int e = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
        int[] taken = new int[n + 1];
        int k = 0;
        for (int i = s; i < e; i += step) taken[k++] = i;
        return Arrays.copyOf(taken, k);
    }

    public Ref slice(int axis, int start, int end, int step) {
        int a = axis < 0 ? axis + shape.length : axis;
        int[] taken = sliceIndices(shape[a], start, end, step);
        int[] out = shape.clone();
        out[a] = taken.length;
        return gather(out, idx -> {
            int[] src = idx.clone();
            src[a] = taken[idx[a]];
            return src;
        });
    }

    public Ref select(int axis, int index) {
        int a = axis < 0 ? axis + shape.length : axis;
        int i = index < 0 ? index + shape[a] : index;
        int[] out = new int[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) if (k != a) out[j++] = shape[k];
        return gather(out, idx -> {
            int[] src = new int[shape.length];
            for (int k = 0, j = 0; k < shape.length; k++) src[k] = k == a ? i : idx[j++];
            return src;
        });
    }

    /** NumPy broadcasting of this array to {@code out} (which must be compatible). */
    public Ref expand(int[] out) {
        int lead = out.length - shape.length;
        return gather(out, idx -> {
            int[] src = new int[shape.length];
            for (int k = 0; k < shape.length; k++) src[k] = shape[k] == 1 ? 0 : idx[k + lead];
            return src;
        });
    }

    public Ref reshape(int... out) {
        return new Ref(out, v.clone());
    }

    // ---- elementwise ----------------------------------------------------------------------

    /** The broadcast shape, computed here independently of Shapes.broadcast. */
    public static int[] broadcastShape(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - n + a.length];
            int db = i < n - b.length ? 1 : b[i - n + b.length];
            if (da != db && da != 1 && db != 1) throw new IllegalArgumentException("not broadcastable");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    public static Ref zip(Ref a, Ref b, DoubleBinaryOperator f) {
        int[] s = broadcastShape(a.shape, b.shape);
        Ref x = a.expand(s), y = b.expand(s);
        double[] r = new double[x.v.length];
        for (int i = 0; i < r.length; i++) r[i] = f.applyAsDouble(x.v[i], y.v[i]);
        return new Ref(s, r);
    }

    // ---- reductions -----------------------------------------------------------------------

    /**
     * Reduces the (non-negative, distinct) {@code axes} with {@code f} applied to the list of
     * values of each output element, in row-major order of the reduced positions.
     */
    public Ref reduce(int[] axes, boolean keepdim, ToDoubleFunction<double[]> f) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a] = true;
        int[] kept = shape.clone();
        int groupSize = 1;
        for (int i = 0; i < shape.length; i++) if (red[i]) { kept[i] = 1; groupSize *= shape[i]; }
        double[][] groups = new double[count(kept)][groupSize];
        int[] fill = new int[groups.length];
        int[] idx = new int[shape.length], o = new int[shape.length];
        for (int f0 = 0; f0 < v.length; f0++) {
            unflat(shape, f0, idx);
            for (int i = 0; i < shape.length; i++) o[i] = red[i] ? 0 : idx[i];
            int g = flat(kept, o);
            groups[g][fill[g]++] = v[f0];
        }
        double[] r = new double[groups.length];
        for (int g = 0; g < r.length; g++) r[g] = f.applyAsDouble(groups[g]);
        if (keepdim) return new Ref(kept, r);
        int[] out = new int[shape.length - axes.length];
        for (int i = 0, j = 0; i < shape.length; i++) if (!red[i]) out[j++] = shape[i];
        return new Ref(out, r);
    }

    /** Applies {@code f} to each 1-d lane along {@code axis}, replacing the lane. */
    public Ref alongAxis(int axis, java.util.function.UnaryOperator<double[]> f) {
        int n = shape[axis];
        double[] r = new double[v.length];
        int[] idx = new int[shape.length];
        for (int f0 = 0; f0 < v.length; f0++) {
            unflat(shape, f0, idx);
            if (idx[axis] != 0) continue;
            double[] lane = new double[n];
            int[] j = idx.clone();
            for (int i = 0; i < n; i++) { j[axis] = i; lane[i] = at(j); }
            double[] out = f.apply(lane);
            for (int i = 0; i < n; i++) { j[axis] = i; r[flat(shape, j)] = out[i]; }
        }
        return new Ref(shape, r);
    }

    // ---- matmul ---------------------------------------------------------------------------

    /**
     * NumPy matmul written out, with a second result: for every output element, the sum of
     * |a_ik| |b_kj|, which bounds the rounding error of any summation order.
     */
    public static Ref[] matmul(Ref a, Ref b) {
        boolean va = a.shape.length == 1, vb = b.shape.length == 1;
        int[] as = va ? new int[] {1, a.shape[0]} : a.shape, bs = vb ? new int[] {b.shape[0], 1} : b.shape;
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        if (k != bs[bs.length - 2]) throw new IllegalArgumentException("inner");
        int[] batch = broadcastShape(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int nb = batch.length;
        int[] out = Arrays.copyOf(batch, nb + 2);
        out[nb] = m;
        out[nb + 1] = n;
        int[] ea = Arrays.copyOf(batch, nb + 2), eb = Arrays.copyOf(batch, nb + 2);
        ea[nb] = m; ea[nb + 1] = k; eb[nb] = k; eb[nb + 1] = n;
        Ref A = new Ref(as, a.v).expand(ea), B = new Ref(bs, b.v).expand(eb);
        double[] r = new double[count(out)], scale = new double[r.length];
        int[] idx = new int[out.length];
        for (int f = 0; f < r.length; f++) {
            unflat(out, f, idx);
            int[] ia = idx.clone(), ib = idx.clone();
            double s = 0, abs = 0;
            for (int p = 0; p < k; p++) {
                ia[nb + 1] = p;
                ib[nb] = p;
                ib[nb + 1] = idx[nb + 1];
                ia[nb] = idx[nb];
                double prod = A.at(ia) * B.at(ib);
                s += prod;
                abs += Math.abs(prod);
            }
            r[f] = s;
            scale[f] = abs;
        }
        int[] shown = out;
        if (va && vb) shown = Arrays.copyOf(batch, nb);
        else if (va) { shown = Arrays.copyOf(batch, nb + 1); shown[nb] = n; }
        else if (vb) { shown = Arrays.copyOf(batch, nb + 1); shown[nb] = m; }
        return new Ref[] {new Ref(shown, r), new Ref(shown, scale)};
    }

    // ---- special functions, written independently of UnaryOp ------------------------------

    /**
     * erfc for x >= 0: the Maclaurin series of erf below 2 (few terms, little cancellation
     * there), the classical continued fraction exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x +
     * (3/2)/(x + ...)))) above, evaluated bottom-up; the latter keeps full relative precision
     * in the tail, which GELU's x * Phi(x) needs for negative x.
     */
    public static double erfc(double x) {
        if (x < 0) return 2 - erfc(-x);
        if (x < 2) return 1 - erfSeries(x);
        double f = x;
        for (int n = 300; n >= 1; n--) f = x + (n / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    /** 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)). */
    private static double erfSeries(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 100; n++) {
            term *= -x * x / n;
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.abs(t) < 1e-18 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    public static double erf(double x) {
        if (Math.abs(x) < 1) return erfSeries(x);
        return Math.copySign(1 - erfc(Math.abs(x)), x);
    }

    /** The standard normal CDF, accurate in the lower tail. */
    public static double phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    // ---- comparison -----------------------------------------------------------------------

    /** Tolerance |got - want| <= atol + rtol * |want|; both NaN or equal infinities match. */
    public record Tol(double rtol, double atol) {
        public static final Tol EXACT = new Tol(0, 0);

        public boolean ok(double got, double want) {
            if (got == want || (Double.isNaN(got) && Double.isNaN(want))) return true;
            return Math.abs(got - want) <= atol + rtol * Math.abs(want);
        }
    }

    /**
     * Asserts that {@code got} has the reference's shape and, element by element, its values
     * within {@code tol}. For float32 arrays the reference is rounded to float first, so an
     * exact tolerance means "the correctly rounded float".
     */
    public static void assertClose(String what, NDArray got, Ref want, Tol tol) {
        assertArrayEquals(want.shape, got.shape(), () -> what + ": shape");
        double[] g = got.toDoubleArray();
        boolean f32 = got.dtype() == DType.FLOAT32;
        for (int i = 0; i < g.length; i++) {
            double w = f32 ? (float) want.v[i] : want.v[i];
            if (!tol.ok(g[i], w)) {
                int[] idx = new int[want.shape.length];
                unflat(want.shape, i, idx);
                fail(what + ": at " + Arrays.toString(idx) + " of " + Arrays.toString(want.shape) + " got " + g[i] + ", want " + w
                        + " (diff " + Math.abs(g[i] - w) + ", " + tol + ", " + got.dtype() + ")");
            }
        }
    }

    /** As {@link #assertClose} but with a per-element absolute bound {@code scale[i] * factor}. */
    public static void assertWithin(String what, NDArray got, Ref want, Ref scale, double factor, double atol) {
        assertArrayEquals(want.shape, got.shape(), () -> what + ": shape");
        double[] g = got.toDoubleArray();
        for (int i = 0; i < g.length; i++) {
            double bound = atol + factor * scale.v[i];
            if (!(Math.abs(g[i] - want.v[i]) <= bound) && !(g[i] == want.v[i])) {
                int[] idx = new int[want.shape.length];
                unflat(want.shape, i, idx);
                fail(what + ": at " + Arrays.toString(idx) + " of " + Arrays.toString(want.shape) + " got " + g[i] + ", want " + want.v[i]
                        + " (diff " + Math.abs(g[i] - want.v[i]) + " > bound " + bound + ")");
            }
        }
    }

    /** Bitwise-equal values (NaN matches NaN) and equal shapes and dtypes. */
    public static void assertSame(String what, NDArray got, NDArray want) {
        assertEquals(want.dtype(), got.dtype(), () -> what + ": dtype");
        assertClose(what, got, new Ref(want.shape(), want.toDoubleArray()), Tol.EXACT);
    }

    @Override
    public String toString() {
        return "Ref" + Arrays.toString(shape);
    }
}
