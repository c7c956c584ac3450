package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;

/**
 * Adds the fixed encoding of Vaswani et al. (2017) to {@code [B, L, D]}:
 * {@code pe[p, 2i] = sin(p / 10000^(2i/D))}, {@code pe[p, 2i+1] = cos(p / 10000^(2i/D))}.
 * The table (up to {@code maxLen} positions) is a buffer named {@code pe}, as in PyTorch's
 * tutorial, so it moves with {@code to(device)} and is saved in the state dict.
 */
public final class SinusoidalPositionalEncoding extends Module {
    public final int maxLen, dim;

    public SinusoidalPositionalEncoding(int maxLen, int dim) {
        this.maxLen = maxLen;
        this.dim = dim;
        registerBuffer("pe", Tensor.of(table(maxLen, dim)));
    }

    static NDArray table(int maxLen, int dim) {
        double[] pe = new double[maxLen * dim];
        for (int p = 0; p < maxLen; p++)
            for (int i = 0; i < dim; i += 2) {
                double angle = p / Math.pow(10000, (double) i / dim);
                pe[p * dim + i] = Math.sin(angle);
                if (i + 1 < dim) pe[p * dim + i + 1] = Math.cos(angle);
            }
        return NDArray.of(pe, maxLen, dim).to(dev.proxima.tensor.DType.FLOAT32);
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() != 3 || x.shape(2) != dim || x.shape(1) > maxLen)
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: input " + Shapes.str(x.shape()) + " must be [B, L <= " + maxLen + ", " + dim + "]");
        return x.add(call.buffer("pe").slice(0, 0, x.shape(1)).to(x.dtype()));
    }
}
