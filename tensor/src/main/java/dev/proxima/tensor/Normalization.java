package dev.proxima.tensor;

import java.util.Arrays;

/**
 * Batch normalization in training mode over {@code x [N, C, ...]}: the statistics of each
 * channel {@code c} are taken over every axis but 1 ({@code M = N · H · W} values for an
 * image batch), the variance biased, as PyTorch normalizes. With {@code μ}, {@code σ²} the
 * channel's mean and variance, {@code r = 1/sqrt(σ² + eps)} and {@code x̂ = (x − μ)·r}:
 * <pre>
 *   y  = x̂ · weight + bias
 *   dbias   = Σ g                    dweight = Σ g·x̂
 *   dx = weight · r · (g − dbias/M − x̂ · dweight/M)
 * </pre>
 * Written here once from the {@link Backend} primitives: the reference the fused kernels
 * (a backend's overrides of {@link Backend#batchNorm} and friends) are tested against, and
 * the kernels of a backend that has no fused ones.
 */
final class Normalization {
    private Normalization() {}

    /** The channel count, after checking x [N, C, ...], weight and bias (or g) of matching shapes. */
    static int check(String op, NDArray x, NDArray weight, NDArray other, String otherName) {
        int[] xs = x.shape();
        if (xs.length < 2 || !x.dtype().isFloating())
            throw new IllegalArgumentException(op + ": input " + x.dtype() + " " + Shapes.str(xs) + " must be a floating [N, C, ...]");
        int c = xs[1];
        if (weight != null && (weight.ndim() != 1 || weight.shape(0) != c || weight.dtype() != x.dtype()))
            throw new IllegalArgumentException(op + ": weight " + weight.dtype() + " " + Shapes.str(weight.shape()) + " must be "
                    + x.dtype() + " [" + c + "] for input " + Shapes.str(xs));
        if (other != null) {
            int[] want = otherName.equals("bias") ? new int[] {c} : xs;
            if (!Arrays.equals(other.shape(), want) || other.dtype() != x.dtype())
                throw new IllegalArgumentException(op + ": " + otherName + " " + other.dtype() + " " + Shapes.str(other.shape()) + " must be "
                        + x.dtype() + " " + Shapes.str(want) + " for input " + Shapes.str(xs));
        }
        if (c == 0 || x.size() / c < 2)
            throw new IllegalArgumentException(op + ": training needs more than one value per channel, got input " + Shapes.str(xs));
        return c;
    }

    /** Axis 0 and the axes after the channel axis. */
    private static int[] axes(int ndim) {
        int[] axes = new int[ndim - 1];
        for (int i = 2; i < ndim; i++) axes[i - 1] = i;
        return axes;
    }

    /** [1, C, 1, ...]: a per-channel vector shaped to broadcast against x. */
    private static NDArray perChannel(NDArray v, int ndim) {
        int[] view = new int[ndim];
        Arrays.fill(view, 1);
        view[1] = v.size();
        return v.reshape(view);
    }

    /** Mean and variance (keepdim), each two-pass: the variance sums squares of centred values. */
    private static NDArray[] meanVar(NDArray x) {
        int[] axes = axes(x.ndim());
        double m = (double) x.size() / x.shape(1);
        NDArray mean = x.sum(axes, true).div(m);
        NDArray centered = x.sub(mean);
        return new NDArray[] {mean, centered.square().sum(axes, true).div(m), centered};
    }

    static NDArray stats(NDArray x) {
        NDArray[] mv = meanVar(x);
        int c = x.shape(1);
        return NDArray.concat(0, mv[0].reshape(1, c), mv[1].reshape(1, c));
    }

    static NDArray forward(NDArray x, NDArray weight, NDArray bias, double eps) {
        NDArray[] mv = meanVar(x);
        NDArray scale = mv[1].add(eps).rsqrt().mul(perChannel(weight, x.ndim()));
        return mv[2].mul(scale).add(perChannel(bias, x.ndim()));
    }

    static NDArray[] backward(NDArray x, NDArray weight, NDArray g, double eps) {
        NDArray[] mv = meanVar(x);
        int[] axes = axes(x.ndim());
        double m = (double) x.size() / x.shape(1);
        NDArray rstd = mv[1].add(eps).rsqrt();
        NDArray xhat = mv[2].mul(rstd);
        NDArray dbias = g.sum(axes, false), dweight = g.mul(xhat).sum(axes, false);
        NDArray dx = g.sub(perChannel(dbias, x.ndim()).div(m)).sub(xhat.mul(perChannel(dweight, x.ndim()).div(m)))
                .mul(rstd.mul(perChannel(weight, x.ndim())));
        return new NDArray[] {dx, dweight, dbias};
    }
}
