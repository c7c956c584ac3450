package dev.proxima.tensor;

/**
 * The geometry of a 2-d convolution besides the kernel size: stride, zero padding (added on
 * both sides), dilation and channel groups, each as in torch.nn.functional.conv2d. Also the
 * window geometry of {@link NDArray#unfold2d} and {@link NDArray#fold2d}, which ignore
 * {@code groups}.
 *
 * <p>An output axis of an input of size {@code h} with kernel {@code k} has
 * {@code floor((h + 2 * pad - dilation * (k - 1) - 1) / stride) + 1} positions.
 */
public record Conv2dSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {

    /** Stride 1, no padding, no dilation, one group. */
    public static final Conv2dSpec DEFAULT = new Conv2dSpec(1, 1, 0, 0, 1, 1, 1);

    public Conv2dSpec {
        if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1 || groups < 1)
            throw new IllegalArgumentException("Conv2dSpec: stride " + strideH + "x" + strideW + ", padding " + padH + "x" + padW
                    + ", dilation " + dilationH + "x" + dilationW + ", groups " + groups
                    + ": stride, dilation and groups must be >= 1 and padding >= 0");
    }

    /** The same stride and padding on both axes, no dilation, one group. */
    public static Conv2dSpec of(int stride, int padding) {
        return new Conv2dSpec(stride, stride, padding, padding, 1, 1, 1);
    }

    /** The same stride, padding and dilation on both axes. */
    public static Conv2dSpec of(int stride, int padding, int dilation, int groups) {
        return new Conv2dSpec(stride, stride, padding, padding, dilation, dilation, groups);
    }

    public Conv2dSpec withGroups(int groups) {
        return new Conv2dSpec(strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    /** Output height for input height {@code h} and kernel height {@code kh}; may be <= 0. */
    public int outH(int h, int kh) {
        return outSize(h, kh, strideH, padH, dilationH);
    }

    /** Output width for input width {@code w} and kernel width {@code kw}; may be <= 0. */
    public int outW(int w, int kw) {
        return outSize(w, kw, strideW, padW, dilationW);
    }

    private static int outSize(int n, int k, int stride, int pad, int dilation) {
        return Math.floorDiv(n + 2 * pad - dilation * (k - 1) - 1, stride) + 1;
    }
}
