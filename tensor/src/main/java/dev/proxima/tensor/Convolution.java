package dev.proxima.tensor;

/**
 * im2col and col2im, the two primitives convolution and pooling are built from (in
 * {@code dev.proxima.autograd.Tensor}), composed here from views and copies so every backend
 * gets them from the {@link Backend} primitives alone. They are each other's adjoint:
 * <ul>
 *   <li>{@link #unfold} (im2col): pad, view the sliding windows with one {@code asStrided},
 *       and copy them once into columns {@code [N, C*kh*kw, OH*OW]};</li>
 *   <li>{@link #fold} (col2im): add each of the {@code kh*kw} kernel offsets' columns into a
 *       strided view of a zero array. For one offset the view touches every target element
 *       at most once (windows start {@code stride >= 1} apart), so each accumulating copy is
 *       free of write conflicts, on a GPU too.</li>
 * </ul>
 */
final class Convolution {
    private Convolution() {}

    // ---- im2col and col2im -------------------------------------------------------------

    static NDArray unfold(NDArray x, int kh, int kw, Conv2dSpec s, double padValue, String op) {
        int[] xs = x.shape();
        require4d(op, "input", xs, "[N, C, H, W]");
        int[] o = outputSize(op, xs, kh, kw, s);
        NDArray base = s.padH() == 0 && s.padW() == 0 ? x
                : x.pad(new int[] {0, 0, 0, 0, s.padH(), s.padH(), s.padW(), s.padW()}, padValue);
        int[] st = base.strides();
        NDArray windows = base.asStrided(new int[] {xs[0], xs[1], kh, kw, o[0], o[1]},
                new int[] {st[0], st[1], st[2] * s.dilationH(), st[3] * s.dilationW(), st[2] * s.strideH(), st[3] * s.strideW()},
                base.offset());
        return windows.reshape(xs[0], xs[1] * kh * kw, o[0] * o[1]);
    }

    static NDArray fold(NDArray cols, int[] inputShape, int kh, int kw, Conv2dSpec s, String op) {
        require4d(op, "input shape", inputShape, "[N, C, H, W]");
        int n = inputShape[0], c = inputShape[1];
        int[] o = outputSize(op, inputShape, kh, kw, s);
        int[] want = {n, c * kh * kw, o[0] * o[1]};
        if (!java.util.Arrays.equals(cols.shape(), want))
            throw new IllegalArgumentException(op + ": columns " + Shapes.str(cols.shape()) + " do not match input shape "
                    + Shapes.str(inputShape) + " with kernel " + kh + "x" + kw + " and " + s + ": expected " + Shapes.str(want));
        int ph = s.padH(), pw = s.padW();
        NDArray padded = NDArray.zeros(cols.dtype(), cols.device(), n, c, inputShape[2] + 2 * ph, inputShape[3] + 2 * pw);
        int[] st = padded.strides();
        int[] targetShape = {n, c, o[0], o[1]};
        int[] targetStrides = {st[0], st[1], st[2] * s.strideH(), st[3] * s.strideW()};
        NDArray byOffset = cols.reshape(n, c, kh, kw, o[0], o[1]);
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                int at = padded.offset() + i * s.dilationH() * st[2] + j * s.dilationW() * st[3];
                NDArray target = padded.asStrided(targetShape, targetStrides, at);
                cols.backend().copyInto(target, byOffset.select(2, i).select(2, j), true);
            }
        }
        return padded.pad(new int[] {0, 0, 0, 0, -ph, -ph, -pw, -pw}, 0);
    }

    // ---- checks ------------------------------------------------------------------------

    private static void require4d(String op, String what, int[] shape, String layout) {
        if (shape.length != 4)
            throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(shape) + " must be 4-d " + layout);
    }

    private static int[] outputSize(String op, int[] xs, int kh, int kw, Conv2dSpec s) {
        if (kh < 1 || kw < 1)
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " must be at least 1x1");
        int oh = s.outH(xs[2], kh), ow = s.outW(xs[3], kw);
        if (oh < 1 || ow < 1)
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " (dilation " + s.dilationH() + "x" + s.dilationW()
                    + ") does not fit input " + Shapes.str(xs) + " padded by " + s.padH() + "x" + s.padW());
        return new int[] {oh, ow};
    }

}
