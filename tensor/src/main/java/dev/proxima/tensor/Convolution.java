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

    // ---- convolution and its two adjoints ----------------------------------------------
    //
    // The backward products fold the batch into the GEMM: one product with K = C/G*kh*kw
    // and N*L = N*OH*OW (per group) instead of N products of an image each, with the columns
    // laid out [C, kh, kw, N, OH, OW]. The forward keeps one product per image: its result
    // is then already [N, O, OH, OW], where the folded product [O, N*L] needs a permuting
    // copy that cost more than folding saved (measured per shape on Models.cnn's two layers,
    // AMD EPYC with AVX2, one thread: conv1 3.5 vs 4.5 ms, conv2 equal; the folded input
    // gradient 15.8 vs 19.9 ms for conv2). Every element of every product is one GEMM dot
    // product in a fixed order, so no result depends on the thread count.

    /** im2col of the whole batch: [G, K, N*L] (one strided copy of the padded input). */
    static NDArray batchColumns(NDArray x, int kh, int kw, Conv2dSpec s) {
        int[] xs = x.shape();
        int[] o = outputSize("conv2d", xs, kh, kw, s);
        NDArray base = s.padH() == 0 && s.padW() == 0 ? x
                : x.pad(new int[] {0, 0, 0, 0, s.padH(), s.padH(), s.padW(), s.padW()}, 0);
        int[] st = base.strides();
        NDArray windows = base.asStrided(new int[] {xs[1], kh, kw, xs[0], o[0], o[1]},
                new int[] {st[1], st[2] * s.dilationH(), st[3] * s.dilationW(), st[0], st[2] * s.strideH(), st[3] * s.strideW()},
                base.offset());
        int g = s.groups();
        return windows.reshape(g, xs[1] / g * kh * kw, xs[0] * o[0] * o[1]);
    }

    /** g [N, O, OH, OW] as [G, O/G, N*L]: the GEMM's layout of the output gradient. */
    private static NDArray batchRows(NDArray g, int groups) {
        int[] gs = g.shape();
        return g.reshape(gs[0], gs[1], gs[2] * gs[3]).permute(1, 0, 2).reshape(groups, gs[1] / groups, gs[0] * gs[2] * gs[3]);
    }

    /** x [N, C, H, W] (*) w [O, C/G, kh, kw] to [N, O, OH, OW]: im2col, then one product per image and group. */
    static NDArray conv2d(NDArray x, NDArray w, Conv2dSpec s) {
        int[] xs = x.shape(), ws = w.shape();
        int g = s.groups(), kh = ws[2], kw = ws[3], k = ws[1] * kh * kw;
        int[] o = outputSize("conv2d", xs, kh, kw, s);
        NDArray cols = unfold(x, kh, kw, s, 0, "conv2d").reshape(xs[0], g, k, o[0] * o[1]);
        return w.reshape(g, ws[0] / g, k).matmul(cols).reshape(xs[0], ws[0], o[0], o[1]); // the weight broadcast over the batch
    }

    /**
     * The input gradient, the adjoint of {@link #conv2d} in x: columns {@code wᵀ g} (one GEMM
     * over the batch), then col2im: each kernel offset's columns added into a strided view of
     * the padded gradient, which for one offset touches every element at most once.
     */
    static NDArray conv2dBackwardInput(NDArray g, NDArray w, int[] inputShape, Conv2dSpec s) {
        int[] ws = w.shape();
        int n = inputShape[0], c = inputShape[1], groups = s.groups(), kh = ws[2], kw = ws[3];
        int[] o = outputSize("conv2dBackwardInput", inputShape, kh, kw, s);
        NDArray cols = w.reshape(groups, ws[0] / groups, ws[1] * kh * kw).mT().matmul(batchRows(g, groups)) // [G, K, N*L]
                .reshape(c, kh, kw, n, o[0], o[1]);
        int ph = s.padH(), pw = s.padW();
        NDArray padded = NDArray.zeros(g.dtype(), g.device(), n, c, inputShape[2] + 2 * ph, inputShape[3] + 2 * pw);
        int[] st = padded.strides();
        int[] targetShape = {c, n, o[0], o[1]};
        int[] targetStrides = {st[1], st[0], st[2] * s.strideH(), st[3] * s.strideW()};
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++) {
                int at = padded.offset() + i * s.dilationH() * st[2] + j * s.dilationW() * st[3];
                g.backend().copyInto(padded.asStrided(targetShape, targetStrides, at), cols.select(1, i).select(1, j), true);
            }
        return ph == 0 && pw == 0 ? padded : padded.pad(new int[] {0, 0, 0, 0, -ph, -ph, -pw, -pw}, 0);
    }

    /**
     * The weight gradient, the adjoint of {@link #conv2d} in w: {@code (cols gᵀ)ᵀ}, one GEMM
     * whose depth is the batch's N*L. Both operands are contiguous along that depth: g is
     * copied once into [G, N*L, O/G] rather than read through a transposed view, which the
     * GEMM would pack with a stride of N*L elements (measured 1.5x slower).
     */
    static NDArray conv2dBackwardWeight(NDArray x, NDArray g, int[] weightShape, Conv2dSpec s) {
        int groups = s.groups();
        int[] gs = g.shape();
        NDArray cols = batchColumns(x, weightShape[2], weightShape[3], s); // [G, K, N*L]
        NDArray gt = g.reshape(gs[0], groups, gs[1] / groups, gs[2] * gs[3]).permute(1, 0, 3, 2)
                .reshape(groups, gs[0] * gs[2] * gs[3], gs[1] / groups); // [G, N*L, O/G]
        return cols.matmul(gt).mT().reshape(weightShape);
    }

    // ---- pooling -----------------------------------------------------------------------

    /**
     * {@link Backend#maxPool2dIndices} from the primitives: each window's argmax over the
     * padded input (padding -inf, so it loses to any real element but -inf), then its
     * position in the window mapped to the flat input index through a table gathered at it.
     */
    static NDArray maxPoolIndices(NDArray x, Pool2dSpec p) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], kh = p.kernelH(), kw = p.kernelW();
        int oh = p.windows().outH(h, kh), ow = p.windows().outW(w, kw), l = oh * ow, kk = kh * kw;
        NDArray cols = unfold(x, kh, kw, p.windows(), Double.NEGATIVE_INFINITY, "maxPool2dIndices") // [N, C*kk, L]
                .reshape(n, c, kk, l);
        NDArray at = cols.argmax(2, true); // [N, C, 1, L]
        int[] table = new int[kk * l];
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        int hy = Math.min(h - 1, Math.max(0, y * p.strideH() - p.padH() + i));
                        int wz = Math.min(w - 1, Math.max(0, z * p.strideW() - p.padW() + j));
                        table[(i * kw + j) * l + y * ow + z] = hy * w + wz; // clamped: padding is only chosen for -inf windows
                    }
        NDArray flat = NDArray.of(table, 1, 1, kk, l).to(x.device()).expand(n, c, kk, l);
        return flat.gather(2, at).reshape(n, c, oh, ow);
    }

    // ---- checks ------------------------------------------------------------------------

    /** Checks input [N, C, H, W] against weight [O, C/groups, KH, KW]; the output's [OH, OW]. */
    static int[] checkConv(String op, int[] xs, int[] ws, Conv2dSpec spec) {
        if (xs.length != 4 || ws.length != 4)
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " and weight " + Shapes.str(ws) + " must be [N, C, H, W] and [O, C/groups, KH, KW]");
        int c = xs[1], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], groups = spec.groups();
        if (c != cg * groups || o % groups != 0)
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " has " + c + " channels but weight " + Shapes.str(ws)
                    + " expects " + cg * groups + " (groups=" + groups + ", and " + o + " output channels must divide by groups)");
        int oh = spec.outH(xs[2], kh), ow = spec.outW(xs[3], kw);
        if (kh < 1 || kw < 1 || oh <= 0 || ow <= 0)
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " is smaller than the dilated kernel " + Shapes.str(ws) + " with " + spec);
        return new int[] {oh, ow};
    }

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
