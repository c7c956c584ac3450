package dev.proxima.nn;

import dev.proxima.autograd.Tensor;

/** max(x, 0). (Other activations: {@link Activation}.) */
public final class ReLU extends Module {
    @Override
    protected Tensor compute(Call call, Tensor x) {
        return x.relu();
    }

    @Override
    public String toString() {
        return "ReLU";
    }
}
