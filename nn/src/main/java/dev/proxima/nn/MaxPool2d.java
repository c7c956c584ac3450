package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Pool2dSpec;

/** Max pooling over {@code [N, C, H, W]} windows (padding counts as −∞). */
public final class MaxPool2d extends Module {
    public final Pool2dSpec spec;

    /** Kernel and stride {@code kernel}, no padding. */
    public MaxPool2d(int kernel) {
        this(Pool2dSpec.of(kernel));
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this(Pool2dSpec.of(kernel, stride, padding));
    }

    public MaxPool2d(Pool2dSpec spec) {
        this.spec = spec;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        return Tensor.maxPool2d(x, spec);
    }

    @Override
    public String toString() {
        return "MaxPool2d(" + spec + ")";
    }
}
