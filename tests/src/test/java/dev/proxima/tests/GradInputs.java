package dev.proxima.tests;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Inputs for the gradient suites: small shapes, axis subsets and float64 tensors in several
 * memory layouts. jqwik generates the structure (shapes, axes, view kinds, seeds); the values
 * come from the test kit ({@code dev.proxima.testkit.Gen}, {@code OpDomains}) drawn from a
 * {@link SplittableRandom} seeded by jqwik, so a failing case is reproduced by its printed
 * seed and shrinking works on shapes rather than on 24 doubles.
 *
 * <p>Shapes stay small (at most {@link #MAX_ELEMS} elements): a finite-difference check costs
 * two forward evaluations per input element, and the second-order check two backward passes.
 */
final class GradInputs {
    static final int MAX_ELEMS = 24;

    private GradInputs() {}

    /** Shapes of rank minRank..maxRank, each dimension 1..4, at most {@link #MAX_ELEMS} elements. */
    static Arbitrary<int[]> shapes(int minRank, int maxRank) {
        return Arbitraries.integers().between(1, 4).array(int[].class).ofMinSize(minRank).ofMaxSize(maxRank)
                .filter(s -> size(s) <= MAX_ELEMS);
    }

    /**
     * Two shapes that broadcast together: both derive from one full shape by dropping
     * leading dimensions and setting dimensions to 1 at random.
     */
    static Arbitrary<int[][]> broadcastPair() {
        return Combinators.combine(shapes(0, 4), Arbitraries.longs()).as((full, seed) -> {
            SplittableRandom r = new SplittableRandom(seed);
            return new int[][] {derive(full, r), derive(full, r)};
        });
    }

    private static int[] derive(int[] full, SplittableRandom r) {
        int drop = r.nextInt(full.length + 1);
        int[] s = new int[full.length - drop];
        for (int i = 0; i < s.length; i++) s[i] = r.nextInt(3) == 0 ? 1 : full[drop + i];
        return s;
    }

    /** A sorted, duplicate-free subset of the axes of a rank-n shape (possibly empty: "all"). */
    static int[] axesSubset(int ndim, SplittableRandom r) {
        List<Integer> ax = new ArrayList<>();
        for (int a = 0; a < ndim; a++) if (r.nextInt(2) == 0) ax.add(a);
        // Sometimes name axes from the end, as users do.
        return ax.stream().mapToInt(a -> r.nextInt(2) == 0 ? a : a - ndim).toArray();
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    // ---- tensors, possibly as views -------------------------------------------------------

    enum Layout { CONTIGUOUS, PERMUTED, STRIDED, EXPANDED_SLICE }

    static Arbitrary<Layout> layouts() {
        return Arbitraries.of(Layout.class);
    }

    /** A float64 tensor holding {@code values} in the given shape and memory layout. */
    static Tensor f64(double[] values, int[] shape, Layout layout) {
        return Tensor.of(array(values, shape, layout));
    }

    static Tensor f64(double[] values, int... shape) {
        return f64(values, shape, Layout.CONTIGUOUS);
    }

    /**
     * An array with the given values whose storage layout is not the plain row-major one:
     * the transpose of a contiguous copy, every second element of a wider array, or a slice
     * with an offset. Gradients must not depend on it.
     */
    static NDArray array(double[] values, int[] shape, Layout layout) {
        NDArray x = NDArray.of(values, shape);
        int n = shape.length;
        switch (layout) {
            case CONTIGUOUS:
                return x;
            case PERMUTED: {
                if (n < 2) return array(values, shape, Layout.STRIDED);
                int[] rev = new int[n];
                for (int i = 0; i < n; i++) rev[i] = n - 1 - i;
                return x.permute(rev).contiguous().permute(rev); // rev is its own inverse
            }
            case STRIDED: {
                if (n == 0) return x;
                // A wider array with the values at even positions of the last axis.
                int last = shape[n - 1];
                int[] wide = shape.clone();
                wide[n - 1] = 2 * last;
                double[] w = new double[2 * values.length];
                for (int i = 0; i < values.length; i++) w[(i / last) * 2 * last + 2 * (i % last)] = values[i];
                for (int i = 0; i < w.length; i++) if ((i % (2 * last)) % 2 == 1) w[i] = Double.NaN; // must never be read
                return NDArray.of(w, wide).slice(n - 1, 0, 2 * last, 2);
            }
            case EXPANDED_SLICE: {
                if (n == 0) return x;
                // A slice with an offset: rows 1..d of an array with a NaN row in front.
                int[] big = shape.clone();
                big[0] += 1;
                int inner = values.length / shape[0];
                double[] w = new double[inner * big[0]];
                java.util.Arrays.fill(w, 0, inner, Double.NaN);
                System.arraycopy(values, 0, w, inner, values.length);
                return NDArray.of(w, big).slice(0, 1, big[0], 1);
            }
            default:
                throw new AssertionError(layout);
        }
    }

    static double dot(double[] a, double[] b) {
        if (a.length != b.length) throw new AssertionError("dot: lengths " + a.length + " and " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
