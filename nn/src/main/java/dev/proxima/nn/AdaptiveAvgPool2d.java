package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.Shapes;

/**
 * Average pooling to a fixed output size {@code [OH, OW]}: output cell {@code i} averages rows
 * {@code floor(i·H/OH)} to {@code ceil((i+1)·H/OH)} (PyTorch's windows, which may overlap).
 * When the sizes divide, it is a plain average pool.
 */
public final class AdaptiveAvgPool2d extends Module {
    public final int outH, outW;

    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() != 4) throw new IllegalArgumentException("AdaptiveAvgPool2d: input " + Shapes.str(x.shape()) + " must be [N, C, H, W]");
        int h = x.shape(2), w = x.shape(3);
        if (h % outH == 0 && w % outW == 0) {
            int kh = h / outH, kw = w / outW;
            return Tensor.avgPool2d(x, new Pool2dSpec(kh, kw, kh, kw, 0, 0));
        }
        return windows(windows(x, 2, outH), 3, outW);
    }

    private static Tensor windows(Tensor x, int axis, int out) {
        int n = x.shape(axis);
        Tensor[] cells = new Tensor[out];
        for (int i = 0; i < out; i++) {
            int start = Math.floorDiv(i * n, out), end = -Math.floorDiv(-(i + 1) * n, out);
            cells[i] = x.slice(axis, start, end).mean(new int[] {axis}, true);
        }
        return Tensor.concat(axis, cells);
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(" + outH + ", " + outW + ")";
    }
}
