package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Pool2dSpec;

/** Average pooling over {@code [N, C, H, W]} windows, padding zeros included in the count (PyTorch's default). */
public final class AvgPool2d extends Module {
    public final Pool2dSpec spec;

    public AvgPool2d(int kernel) {
        this(Pool2dSpec.of(kernel));
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this(Pool2dSpec.of(kernel, stride, padding));
    }

    public AvgPool2d(Pool2dSpec spec) {
        this.spec = spec;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        return Tensor.avgPool2d(x, spec);
    }

    @Override
    public String toString() {
        return "AvgPool2d(" + spec + ")";
    }
}
