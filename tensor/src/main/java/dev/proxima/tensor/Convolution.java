package dev.proxima.tensor;

/**
 * Convolution and pooling, composed from views, copies and matmul so every backend gets
 * them from the {@link Backend} primitives alone.
 *
 * <p>Everything is built on two linear maps that are each other's adjoint:
 * <ul>
 *   <li>{@link #unfold} (im2col): pad, view the sliding windows with one {@code asStrided},
 *       and copy them once into columns {@code [N, C*kh*kw, OH*OW]};</li>
 *   <li>{@link #fold} (col2im): add each of the {@code kh*kw} kernel offsets' columns into a
 *       strided view of a zero array. For one offset the view touches every target element
 *       at most once (windows start {@code stride >= 1} apart), so each accumulating copy is
 *       free of write conflicts, on a GPU too.</li>
 * </ul>
 * A convolution is then a (group-batched) matmul of the weight with the columns; its input
 * gradient is the transposed matmul followed by fold, its weight gradient unfold followed by
 * a matmul. Pooling reduces over the kernel axis of the columns.
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

    // ---- convolution -------------------------------------------------------------------

    /** Checks an input/weight pair and returns the output shape {@code [N, O, OH, OW]}. */
    static int[] checkConv(String op, int[] xs, int[] ws, Conv2dSpec s) {
        require4d(op, "input", xs, "[N, C, H, W]");
        require4d(op, "weight", ws, "[O, C/groups, KH, KW]");
        int g = s.groups();
        if (xs[1] != ws[1] * g)
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " has " + xs[1] + " channels but weight "
                    + Shapes.str(ws) + " expects " + ws[1] * g + " (groups=" + g + ")");
        if (ws[0] % g != 0)
            throw new IllegalArgumentException(op + ": weight " + Shapes.str(ws) + " has " + ws[0]
                    + " output channels, not divisible by groups=" + g);
        int[] o = outputSize(op, xs, ws[2], ws[3], s);
        return new int[] {xs[0], ws[0], o[0], o[1]};
    }

    static NDArray conv2d(NDArray x, NDArray w, Conv2dSpec s) {
        x.requireFloating("conv2d");
        w.requireFloating("conv2d");
        x.requireSameDevice("conv2d", w);
        int[] out = checkConv("conv2d", x.shape(), w.shape(), s);
        int[] ws = w.shape();
        int g = s.groups(), k = ws[1] * ws[2] * ws[3], l = out[2] * out[3];
        NDArray cols = unfold(x, ws[2], ws[3], s, 0, "conv2d").reshape(out[0], g, k, l);
        return w.reshape(1, g, ws[0] / g, k).matmul(cols).reshape(out);
    }

    static NDArray conv2dBackwardInput(NDArray gradOut, NDArray w, int[] inputShape, Conv2dSpec s) {
        String op = "conv2dBackwardInput";
        gradOut.requireFloating(op);
        w.requireFloating(op);
        gradOut.requireSameDevice(op, w);
        int[] out = checkConv(op, inputShape, w.shape(), s);
        checkGradOut(op, gradOut, out);
        int[] ws = w.shape();
        int g = s.groups(), k = ws[1] * ws[2] * ws[3], l = out[2] * out[3];
        NDArray cols = w.reshape(1, g, ws[0] / g, k).mT().matmul(gradOut.reshape(out[0], g, ws[0] / g, l));
        return fold(cols.reshape(out[0], inputShape[1] * ws[2] * ws[3], l), inputShape, ws[2], ws[3], s, op);
    }

    static NDArray conv2dBackwardWeight(NDArray gradOut, NDArray x, int[] weightShape, Conv2dSpec s) {
        String op = "conv2dBackwardWeight";
        gradOut.requireFloating(op);
        x.requireFloating(op);
        gradOut.requireSameDevice(op, x);
        int[] out = checkConv(op, x.shape(), weightShape, s);
        checkGradOut(op, gradOut, out);
        int g = s.groups(), og = weightShape[0] / g;
        int k = weightShape[1] * weightShape[2] * weightShape[3], l = out[2] * out[3];
        NDArray cols = unfold(x, weightShape[2], weightShape[3], s, 0, op).reshape(out[0], g, k, l);
        // Summing the per-sample products over N costs an [N, O, K] temporary, small next to the columns.
        return gradOut.reshape(out[0], g, og, l).matmul(cols.mT()).sum(0).reshape(weightShape);
    }

    // ---- pooling -----------------------------------------------------------------------

    /** The windows of {@code x} as {@code [N, C, kh*kw, OH*OW]}. */
    private static NDArray windows(String op, NDArray x, Pool2dSpec p, double padValue) {
        x.requireFloating(op);
        int[] xs = x.shape();
        NDArray cols = unfold(x, p.kernelH(), p.kernelW(), p.windows(), padValue, op);
        return cols.reshape(xs[0], xs[1], p.kernelH() * p.kernelW(), -1);
    }

    private static int[] pooledShape(String op, int[] xs, Pool2dSpec p) {
        require4d(op, "input", xs, "[N, C, H, W]");
        int[] o = outputSize(op, xs, p.kernelH(), p.kernelW(), p.windows());
        return new int[] {xs[0], xs[1], o[0], o[1]};
    }

    static NDArray maxPool2d(NDArray x, Pool2dSpec p) {
        int[] out = pooledShape("maxPool2d", x.shape(), p);
        return windows("maxPool2d", x, p, Double.NEGATIVE_INFINITY).max(new int[] {2}, false).reshape(out);
    }

    static NDArray avgPool2d(NDArray x, Pool2dSpec p) {
        int[] out = pooledShape("avgPool2d", x.shape(), p);
        return windows("avgPool2d", x, p, 0).mean(new int[] {2}, false).reshape(out);
    }

    static NDArray maxPool2dBackward(NDArray gradOut, NDArray x, Pool2dSpec p) {
        String op = "maxPool2dBackward";
        gradOut.requireFloating(op);
        gradOut.requireSameDevice(op, x);
        int[] xs = x.shape(), out = pooledShape(op, xs, p);
        checkGradOut(op, gradOut, out);
        int k = p.kernelH() * p.kernelW(), l = out[2] * out[3];
        // argmax takes the first maximum of each window, so ties send the whole gradient to one
        // element, as PyTorch does.
        NDArray first = windows(op, x, p, Double.NEGATIVE_INFINITY).argmax(2, false);
        DType dt = DType.promote(gradOut.dtype(), x.dtype());
        NDArray mask = NDArray.oneHotUnchecked(first, k, dt).permute(0, 1, 3, 2);
        NDArray cols = mask.mul(gradOut.reshape(xs[0], xs[1], 1, l)).reshape(xs[0], xs[1] * k, l);
        return fold(cols, xs, p.kernelH(), p.kernelW(), p.windows(), op);
    }

    static NDArray avgPool2dBackward(NDArray gradOut, int[] inputShape, Pool2dSpec p) {
        String op = "avgPool2dBackward";
        gradOut.requireFloating(op);
        int[] out = pooledShape(op, inputShape, p);
        checkGradOut(op, gradOut, out);
        int n = inputShape[0], c = inputShape[1], k = p.kernelH() * p.kernelW(), l = out[2] * out[3];
        NDArray cols = gradOut.reshape(n, c, 1, l).div((double) k).expand(n, c, k, l).reshape(n, c * k, l);
        return fold(cols, inputShape, p.kernelH(), p.kernelW(), p.windows(), op);
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

    private static void checkGradOut(String op, NDArray gradOut, int[] expected) {
        if (!java.util.Arrays.equals(gradOut.shape(), expected))
            throw new IllegalArgumentException(op + ": gradient " + Shapes.str(gradOut.shape()) + " does not match the output shape "
                    + Shapes.str(expected));
    }
}
