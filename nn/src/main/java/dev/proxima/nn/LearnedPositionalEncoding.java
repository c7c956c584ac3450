package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/** Adds a learned vector per position to {@code [B, L, D]}: parameter {@code weight [maxLen, D]}, drawn N(0, 0.02²) as GPT-2. */
public final class LearnedPositionalEncoding extends Module {
    public final int maxLen, dim;

    public LearnedPositionalEncoding(int maxLen, int dim, Rng rng) {
        this.maxLen = maxLen;
        this.dim = dim;
        registerParam("weight", Init.normal(rng, 0, 0.02, maxLen, dim));
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (x.ndim() != 3 || x.shape(2) != dim || x.shape(1) > maxLen)
            throw new IllegalArgumentException("LearnedPositionalEncoding " + call.fullName("weight") + ": input " + Shapes.str(x.shape())
                    + " must be [B, L <= " + maxLen + ", " + dim + "]");
        return x.add(call.param("weight").slice(0, 0, x.shape(1)));
    }
}
