package dev.proxima.optim.apo;

import dev.proxima.autograd.Tensor;
import java.util.Arrays;

/**
 * ρ, the discrepancy between the model's outputs after and before a step, averaged the way
 * the usual losses average (so λ_FSD = 1 weighs it like the loss): over every row of a
 * classifier (all leading axes, the classes being the last one), over every element of a
 * regressor.
 */
public enum Divergence {
    /**
     * KL(softmax(before) || softmax(after)) over the last axis, mean over the other axes: the
     * natural divergence of a classifier's (or a language model's) output distribution.
     */
    KL {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return before.klDivLogits(after);
        }
    },
    /** ½·(after − before)², mean over every element: for regression outputs. */
    HALF_SQUARED_ERROR {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return after.sub(before).square().mean().mul(0.5);
        }
    };

    /** ρ(after, before), a 0-d tensor differentiable in both. */
    public abstract Tensor apply(Tensor after, Tensor before);

    private static void check(Tensor after, Tensor before) {
        if (!Arrays.equals(after.shape(), before.shape()))
            throw new IllegalArgumentException("Divergence: outputs after and before the step have shapes "
                    + Arrays.toString(after.shape()) + " and " + Arrays.toString(before.shape()));
    }
}
