package dev.proxima.tensor;

/**
 * Window geometry of 2-d max and average pooling, as torch.nn.functional.max_pool2d and
 * avg_pool2d with their defaults otherwise: floor rounding of the output size (no ceil mode),
 * no dilation. Padding is added on both sides and, as in PyTorch, may be at most half the
 * kernel, so every window holds at least one input element. Max pooling pads with -inf;
 * average pooling pads with zeros and counts them (PyTorch's {@code count_include_pad=True}),
 * so every window divides by {@code kernelH * kernelW}.
 */
public record Pool2dSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {

    public Pool2dSpec {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("Pool2dSpec: kernel " + kernelH + "x" + kernelW + ", stride " + strideH + "x" + strideW
                    + ", padding " + padH + "x" + padW + ": kernel and stride must be >= 1 and padding >= 0");
        if (padH > kernelH / 2 || padW > kernelW / 2)
            throw new IllegalArgumentException("Pool2dSpec: padding " + padH + "x" + padW + " exceeds half the kernel "
                    + kernelH + "x" + kernelW);
    }

    /** A square kernel with stride equal to the kernel (PyTorch's default) and no padding. */
    public static Pool2dSpec of(int kernel) {
        return new Pool2dSpec(kernel, kernel, kernel, kernel, 0, 0);
    }

    /** A square kernel with the same stride and padding on both axes. */
    public static Pool2dSpec of(int kernel, int stride, int padding) {
        return new Pool2dSpec(kernel, kernel, stride, stride, padding, padding);
    }

    /** The windows as a convolution geometry, for {@link NDArray#unfold2d} and {@link NDArray#fold2d}. */
    public Conv2dSpec windows() {
        return new Conv2dSpec(strideH, strideW, padH, padW, 1, 1, 1);
    }
}
