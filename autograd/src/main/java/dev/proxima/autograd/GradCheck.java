package dev.proxima.autograd;

import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Gradient checks against central finite differences, for tests (ours and users'), like
 * PyTorch's gradcheck and gradgradcheck. Inputs should be float64: in float32 the finite
 * differences themselves are too noisy to check anything.
 *
 * <p>{@link #check} compares the VJP {@code c^T J} with a random cotangent {@code c} against
 * {@code (<c, f(x + h e_i)> - <c, f(x - h e_i)>) / 2h} for every input element {@code i}.
 * {@link #checkSecondOrder} applies the same check to the function
 * {@code x -> d<c, f(x)>/dx} computed with {@code createGraph}, which exercises every rule's
 * own differentiability.
 */
public final class GradCheck {
    private GradCheck() {}

    /** Tolerances and step; the defaults suit float64 inputs of moderate magnitude. */
    public record Options(double step, double atol, double rtol, long seed) {
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-4, 1234);
        }
    }

    public static void check(Function<Tensor, Tensor> f, Tensor x) {
        check(xs -> f.apply(xs.get(0)), List.of(x), Options.defaults());
    }

    public static void checkSecondOrder(Function<Tensor, Tensor> f, Tensor x) {
        checkSecondOrder(xs -> f.apply(xs.get(0)), List.of(x), Options.defaults());
    }

    /** First-order check of f at xs; throws AssertionError naming the input and element that disagree. */
    public static void check(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Options o) {
        List<Tensor> leaves = leaves(xs);
        Tensor y = f.apply(leaves);
        Tensor c = cotangent(y, o.seed());
        // An output with no graph (a comparison mask) has zero gradient; grad() would refuse it.
        List<Tensor> analytic = y.requiresGrad() ? Autograd.grad(List.of(y), leaves, List.of(c), false, false, false) : zerosLike(xs);
        compare("gradient", f, xs, c, analytic, o);
    }

    /** Second-order check: the first-order check applied to each gradient of {@code <c, f(xs)>}. */
    public static void checkSecondOrder(Function<List<Tensor>, Tensor> f, List<Tensor> xs, Options o) {
        List<Tensor> probe = leaves(xs);
        Tensor c = cotangent(f.apply(probe), o.seed());
        for (int k = 0; k < xs.size(); k++) {
            final int which = k;
            Function<List<Tensor>, Tensor> gradK = in -> {
                Tensor y = f.apply(in);
                if (!y.requiresGrad()) return Tensor.of(NDArray.zeros(in.get(which).dtype(), in.get(which).shape()));
                return Autograd.grad(List.of(y), in, List.of(c), true, true, false).get(which);
            };
            List<Tensor> leaves = leaves(xs);
            Tensor g = gradK.apply(leaves);
            Tensor c2 = cotangent(g, o.seed() + 1 + k);
            List<Tensor> analytic = g.requiresGrad()
                    ? Autograd.grad(List.of(g), leaves, List.of(c2), false, false, false)
                    : zerosLike(xs);
            compare("second-order gradient (of d/dx" + k + ")", gradK, xs, c2, analytic, o);
        }
    }

    private static void compare(String what, Function<List<Tensor>, Tensor> f, List<Tensor> xs, Tensor c,
                                List<Tensor> analytic, Options o) {
        double[] cv = c.toDoubleArray();
        for (int j = 0; j < xs.size(); j++) {
            double[] base = xs.get(j).toDoubleArray();
            double[] a = analytic.get(j).toDoubleArray();
            for (int i = 0; i < base.length; i++) {
                double plus = dot(cv, evalWith(f, xs, j, i, base, base[i] + o.step()));
                double minus = dot(cv, evalWith(f, xs, j, i, base, base[i] - o.step()));
                double numeric = (plus - minus) / (2 * o.step());
                if (!(Math.abs(a[i] - numeric) <= o.atol() + o.rtol() * Math.abs(numeric)))
                    throw new AssertionError(what + " of input " + j + " (shape " + Shapes.str(xs.get(j).shape()) + ") at flat index " + i
                            + ": analytic " + a[i] + " vs finite difference " + numeric + " (x = " + base[i] + ")");
            }
        }
    }

    private static double[] evalWith(Function<List<Tensor>, Tensor> f, List<Tensor> xs, int j, int i, double[] base, double v) {
        double[] moved = base.clone();
        moved[i] = v;
        List<Tensor> in = new ArrayList<>(leaves(xs));
        Tensor x = xs.get(j);
        in.set(j, Tensor.of(NDArray.of(moved, x.shape()).to(x.dtype()).to(x.device())).requiresGrad(true));
        return f.apply(in).toDoubleArray();
    }

    private static List<Tensor> leaves(List<Tensor> xs) {
        List<Tensor> r = new ArrayList<>(xs.size());
        for (Tensor x : xs) r.add(x.requiresGrad(true));
        return r;
    }

    private static List<Tensor> zerosLike(List<Tensor> xs) {
        List<Tensor> r = new ArrayList<>(xs.size());
        for (Tensor x : xs) r.add(Tensor.of(NDArray.zeros(x.dtype(), x.device(), x.shape())));
        return r;
    }

    private static Tensor cotangent(Tensor y, long seed) {
        return Tensor.of(new Rng(seed).normal(0, 1, y.dtype(), y.device(), y.shape()));
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
