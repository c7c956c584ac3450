package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Shapes;

/** {@code x / sqrt(mean(x²) + eps) · weight} over the last axis (Zhang and Sennrich 2019; torch 2.4's nn.RMSNorm). */
public final class RMSNorm extends Module {
    public final int features;
    public final double eps;

    public RMSNorm(int features) {
        this(features, 1e-6);
    }

    public RMSNorm(int features, double eps) {
        this.features = features;
        this.eps = eps;
        registerParam("weight", Tensor.ones(features));
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() < 1 || x.shape(-1) != features)
            throw new IllegalArgumentException("RMSNorm " + call.fullName("weight") + ": input " + Shapes.str(x.shape()) + " must end in " + features);
        return x.mul(x.square().mean(new int[] {-1}, true).add(eps).rsqrt()).mul(call.param("weight"));
    }
}
