package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.TestArrays;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The view and layout primitives (reshape, permute, expand, slice with step, select, pad,
 * concat, stack, split, to(dtype), contiguous) and the composites mT, sumTo and clamp. Each
 * is linear (or piecewise linear), so the second-order check composes it with sin to make
 * the gradient of the gradient flow through its rule twice.
 */
class ShapeGradTest {
    private static final GradCheck.Options O = GradCheck.Options.defaults();

    enum Op { RESHAPE, PERMUTE, EXPAND, SLICE, SELECT, PAD, SPLIT, CONTIGUOUS, MT, SUM_TO, CLAMP, FLATTEN_UNSQUEEZE }

    /** A random instance of the op for the input shape, or null when it does not apply. */
    static Function<Tensor, Tensor> instance(Op op, int[] shape, SplittableRandom r) {
        int n = shape.length;
        switch (op) {
            case RESHAPE: {
                int size = GradInputs.size(shape);
                List<Integer> divisors = new ArrayList<>();
                for (int d = 1; d <= size; d++) if (size % d == 0) divisors.add(d);
                int a = divisors.get(r.nextInt(divisors.size()));
                int[] target = r.nextInt(2) == 0 ? new int[] {a, size / a} : new int[] {a, -1, 1};
                return x -> x.reshape(target);
            }
            case PERMUTE: {
                int[] p = TestArrays.permutation(r, n);
                return x -> x.permute(p);
            }
            case EXPAND: {
                // Grow size-1 dims and add up to two leading dims.
                int lead = r.nextInt(3);
                int[] target = new int[lead + n];
                for (int i = 0; i < lead; i++) target[i] = 1 + r.nextInt(3);
                for (int i = 0; i < n; i++) target[lead + i] = shape[i] == 1 ? 1 + r.nextInt(3) : (r.nextInt(3) == 0 ? -1 : shape[i]);
                return x -> x.expand(target);
            }
            case SLICE: {
                if (n == 0) return null;
                int axis = r.nextInt(n), d = shape[axis];
                int start = r.nextInt(d), end = start + 1 + r.nextInt(d - start), step = 1 + r.nextInt(3);
                // Python-style negative bounds half of the time.
                int s = r.nextInt(2) == 0 ? start : start - d, e = r.nextInt(2) == 0 ? end : (end == d ? end + 5 : end - d);
                return x -> x.slice(axis, s, e, step);
            }
            case SELECT: {
                if (n == 0) return null;
                int axis = r.nextInt(n), index = r.nextInt(shape[axis]) - (r.nextInt(2) == 0 ? 0 : shape[axis]);
                return x -> x.select(axis, index);
            }
            case PAD: {
                if (n == 0) return null;
                int[] pad = new int[2 * (1 + r.nextInt(n))];
                for (int i = 0; i < pad.length; i++) pad[i] = r.nextInt(3);
                return x -> x.pad(pad);
            }
            case SPLIT: {
                if (n == 0) return null;
                int axis = r.nextInt(n), d = shape[axis];
                int first = r.nextInt(d + 1);
                // Recombined with different weights so each piece's gradient is distinguishable.
                return x -> {
                    Tensor[] p = x.split(axis, first, d - first);
                    return Tensor.concat(axis, p[1].mul(3.0), p[0].mul(-2.0));
                };
            }
            case CONTIGUOUS:
                return n < 2 ? x -> x.contiguous() : x -> x.transpose(0, n - 1).contiguous();
            case MT:
                return n < 2 ? null : Tensor::mT;
            case SUM_TO: {
                // Reduce to a shape x broadcasts to: drop leading dims, set some dims to 1.
                int drop = r.nextInt(n + 1);
                int[] target = new int[n - drop];
                for (int i = 0; i < target.length; i++) target[i] = r.nextInt(2) == 0 ? 1 : shape[drop + i];
                return x -> x.sumTo(target);
            }
            case CLAMP: {
                double lo = -0.55 + 0.1 * r.nextInt(5), hi = lo + 0.1 * (1 + r.nextInt(5));
                return x -> x.clamp(lo, hi);
            }
            case FLATTEN_UNSQUEEZE: {
                int at = r.nextInt(2);
                return x -> x.flatten().unsqueeze(at).squeeze(at);
            }
            default:
                throw new AssertionError(op);
        }
    }

    // Distinct values on a 0.1 grid with jitter stay clear of the clamp bounds (multiples of 0.05 apart from it).
    private static double[] values(SplittableRandom r, int n) {
        double[] v = Gen.distinct(r, n, 0.1);
        for (int i = 0; i < n; i++) v[i] += 0.025;
        return v;
    }

    @Property(tries = 300)
    void firstOrder(@ForAll Op op, @ForAll("shapes") int[] shape, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Function<Tensor, Tensor> f = instance(op, shape, r);
        if (f == null) return;
        Tensor x = GradInputs.f64(values(r, GradInputs.size(shape)), shape, layout);
        GradCheck.check(f, x);
        // Composed with a view-producing op after it, as real code does.
        GradCheck.check(t -> { Tensor y = f.apply(t); return y.ndim() >= 2 ? y.mT().exp() : y.exp(); }, x);
    }

    @Property(tries = 150)
    void secondOrder(@ForAll Op op, @ForAll("shapes") int[] shape, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Function<Tensor, Tensor> f = instance(op, shape, r);
        if (f == null) return;
        Tensor x = GradInputs.f64(values(r, GradInputs.size(shape)), shape, layout);
        GradCheck.checkSecondOrder(t -> f.apply(t.sin()).square(), x);
    }

    @Property(tries = 100)
    void concatAndStackOfSeveralInputs(@ForAll("shapes") int[] shape, @ForAll boolean stack, @ForAll GradInputs.Layout layout, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = 1 + r.nextInt(3);
        int axis = stack ? r.nextInt(shape.length + 1) : (shape.length == 0 ? -1 : r.nextInt(shape.length));
        if (axis < 0) return;
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int[] s = shape.clone();
            if (!stack) s[axis] = 1 + r.nextInt(3); // concat: sizes may differ along the axis
            xs.add(GradInputs.f64(Gen.uniform(r, GradInputs.size(s), -1, 1), s, i == 0 ? layout : GradInputs.Layout.CONTIGUOUS));
        }
        Function<List<Tensor>, Tensor> f = in -> {
            Tensor[] a = new Tensor[in.size()];
            for (int i = 0; i < a.length; i++) a[i] = in.get(i).mul((double) (i + 1));
            return stack ? Tensor.stack(axis, a) : Tensor.concat(axis, a);
        };
        GradCheck.check(f, xs, O);
        GradCheck.checkSecondOrder(in -> f.apply(in).tanh(), xs, O);
    }

    @Test
    void castBetweenFloatingTypesIsDifferentiable() {
        SplittableRandom r = new SplittableRandom(5);
        Tensor x = GradInputs.f64(Gen.uniform(r, 6, -1, 1), 2, 3);
        // The round trip through float32 rounds values to ~1e-7 relative; a linear function
        // of them has an exact difference quotient for a large step, so use one.
        GradCheck.Options coarse = new GradCheck.Options(1e-2, 1e-5, 1e-4, 3);
        GradCheck.check(in -> in.get(0).to(DType.FLOAT32).mul(3.0).to(DType.FLOAT64), List.of(x), coarse);
        GradCheck.checkSecondOrder(in -> in.get(0).to(DType.FLOAT32).to(DType.FLOAT64).square(), List.of(x), coarse);
        // A float32 leaf gets a float32 gradient, even through float64 computation.
        Tensor w = x.to(DType.FLOAT32).requiresGrad(true);
        Tensor g = Autograd.grad(w.to(DType.FLOAT64).square().sum(), w);
        assertEquals(DType.FLOAT32, g.dtype());
        double[] xv = w.toDoubleArray(), gv = g.toDoubleArray();
        for (int i = 0; i < xv.length; i++) assertEquals(2 * xv[i], gv[i], 1e-6);
        assertEquals(Arrays.toString(w.shape()), Arrays.toString(g.shape()));
    }

    /**
     * The cast to bfloat16 is differentiable: its VJP casts the gradient back (rounding it to
     * bfloat16 on the way in, as PyTorch's does). Inputs are multiples of 1/8 in [-4, 4] and the
     * step is 1, so every point the differences visit is a bfloat16 (at most 6 significant bits)
     * and the difference quotients of these polynomials are exact. What is left is the rounding
     * of the checker's random cotangents to bfloat16 in the backward pass (relative 2^-9 of
     * values up to 2 * 5 times the cotangent, divided by the step 2h = 2 in the second-order
     * difference): rtol 2^-6.
     */
    @Property(tries = 30)
    void castToBFloat16IsDifferentiable(@ForAll("shapes") int[] shape, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(-32, 33) / 8.0;
        Tensor x = GradInputs.f64(v, shape);
        GradCheck.Options bf16 = new GradCheck.Options(1, 1e-2, 0x1p-6, seed);
        GradCheck.check(in -> in.get(0).to(DType.BFLOAT16).mul(3.0).to(DType.FLOAT64), List.of(x), bf16);
        GradCheck.checkSecondOrder(in -> in.get(0).to(DType.BFLOAT16).to(DType.FLOAT64).square(), List.of(x), bf16);
        // A bfloat16 leaf gets a bfloat16 gradient, through float64 computation; 2x is exact.
        Tensor w = x.to(DType.BFLOAT16).requiresGrad(true);
        Tensor g = Autograd.grad(w.to(DType.FLOAT64).square().sum(), w);
        assertEquals(DType.BFLOAT16, g.dtype());
        assertEquals(Arrays.toString(w.shape()), Arrays.toString(g.shape()));
        double[] xv = w.toDoubleArray(), gv = g.toDoubleArray();
        for (int i = 0; i < xv.length; i++) assertEquals(2 * xv[i], gv[i]);
    }

    /** Gradients of a bfloat16 matmul and sum agree with float64 to bfloat16 precision. */
    @Test
    void bfloat16MatmulGradientsFollowFloat64() {
        SplittableRandom r = new SplittableRandom(22);
        Tensor a = GradInputs.f64(Gen.uniform(r, 12, -1, 1), 3, 4), b = GradInputs.f64(Gen.uniform(r, 20, -1, 1), 4, 5);
        Tensor ah = a.to(DType.BFLOAT16).requiresGrad(true), bh = b.to(DType.BFLOAT16).requiresGrad(true);
        Tensor ad = ah.to(DType.FLOAT64).requiresGrad(true), bd = bh.to(DType.FLOAT64).requiresGrad(true);
        List<Tensor> gh = Autograd.grad(ah.matmul(bh).tanh().sum(), List.of(ah, bh), false);
        List<Tensor> gd = Autograd.grad(ad.matmul(bd).tanh().sum(), List.of(ad, bd), false);
        for (int k = 0; k < 2; k++) {
            assertEquals(DType.BFLOAT16, gh.get(k).dtype());
            double[] h = gh.get(k).toDoubleArray(), d = gd.get(k).toDoubleArray();
            // each of the <= 5 products, tanh and its derivative rounds to 8 bits: a few 2^-8 of magnitudes <= 5
            for (int i = 0; i < h.length; i++) assertEquals(d[i], h[i], 8 * 0x1p-8, "gradient " + k + " element " + i);
        }
    }

    @Provide
    Arbitrary<int[]> shapes() {
        return GradInputs.shapes(0, 4);
    }
}
