package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/**
 * 2-d convolution (cross-correlation, as PyTorch) over {@code [N, C, H, W]}: weight
 * {@code [O, C/groups, KH, KW]}, bias {@code [O]}, with stride, zero padding, dilation and
 * groups. Evaluated through autograd's {@link Tensor#conv2d} (im2col and a batched matmul).
 *
 * <p>When tapped ({@link Module#applyTapped}) and {@code groups == 1}, the same product is
 * formed as a matrix over rows = batch × output positions, {@code patches [N·OH·OW, C·KH·KW]
 * · Wᵀ}, so the tap's input and output are exactly what KFAC expects; grouped convolutions
 * are not tapped.
 */
public final class Conv2d extends Module {
    public final int in, out, kh, kw;
    public final Conv2dSpec spec;
    private final boolean hasBias;

    /** Square kernel, stride 1, no padding, with bias. */
    public Conv2d(int in, int out, int kernel, Rng rng) {
        this(in, out, kernel, kernel, Conv2dSpec.DEFAULT, true, rng);
    }

    /** Square kernel with stride and padding, with bias. */
    public Conv2d(int in, int out, int kernel, int stride, int padding, Rng rng) {
        this(in, out, kernel, kernel, Conv2dSpec.of(stride, padding), true, rng);
    }

    public Conv2d(int in, int out, int kh, int kw, Conv2dSpec spec, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0 || kh <= 0 || kw <= 0)
            throw new IllegalArgumentException("Conv2d: sizes must be positive, got in=" + in + ", out=" + out + ", kernel=" + kh + "x" + kw);
        if (in % spec.groups() != 0 || out % spec.groups() != 0)
            throw new IllegalArgumentException("Conv2d: in=" + in + " and out=" + out + " channels must both divide by groups=" + spec.groups());
        this.in = in;
        this.out = out;
        this.kh = kh;
        this.kw = kw;
        this.spec = spec;
        this.hasBias = bias;
        registerParam("weight", Init.defaultWeight(rng, out, in / spec.groups(), kh, kw));
        if (bias) registerParam("bias", Init.defaultBias(rng, in / spec.groups() * kh * kw, out));
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() != 4 || x.shape(1) != in)
            throw new IllegalArgumentException("Conv2d " + call.fullName("weight") + ": input " + Shapes.str(x.shape()) + " must be [N, " + in + ", H, W]");
        Tensor w = call.param("weight");
        if (call.tapping() && spec.groups() == 1) return tapped(call, x, w);
        Tensor y = Tensor.conv2d(x, w, spec);
        return hasBias ? y.add(call.param("bias").reshape(1, out, 1, 1)) : y;
    }

    private Tensor tapped(Call call, Tensor x, Tensor w) {
        int n = x.shape(0), oh = spec.outH(x.shape(2), kh), ow = spec.outW(x.shape(3), kw), k = in * kh * kw;
        Tensor patches = x.unfold2d(kh, kw, spec).permute(0, 2, 1).reshape(n * oh * ow, k);
        Tensor rows = patches.matmul(w.reshape(out, k).mT());
        if (hasBias) rows = rows.add(call.param("bias"));
        call.tap("weight", hasBias ? "bias" : null, patches, rows);
        return rows.reshape(n, oh, ow, out).permute(0, 3, 1, 2);
    }
}
