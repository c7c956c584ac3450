package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/**
 * {@code y = x·Wᵀ + b} over the last axis of x (any leading axes); weight {@code [out, in]},
 * bias {@code [out]} (PyTorch's layout and default initialization).
 */
public final class Linear extends Module {
    public final int in, out;
    private final boolean hasBias;

    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + ", out=" + out);
        this.in = in;
        this.out = out;
        this.hasBias = bias;
        registerParam("weight", Init.defaultWeight(rng, out, in));
        if (bias) registerParam("bias", Init.defaultBias(rng, in, out));
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() < 1 || x.shape(-1) != in)
            throw new IllegalArgumentException("Linear " + call.fullName("weight") + ": input " + Shapes.str(x.shape())
                    + " must end in " + in + " features");
        int[] lead = x.shape();
        Tensor rows = x.ndim() == 2 ? x : x.reshape(-1, in);
        Tensor y = rows.matmul(call.param("weight").mT());
        if (hasBias) y = y.add(call.param("bias"));
        call.tap("weight", hasBias ? "bias" : null, rows, y);
        if (x.ndim() == 2) return y;
        lead[lead.length - 1] = out;
        return y.reshape(lead);
    }
}
