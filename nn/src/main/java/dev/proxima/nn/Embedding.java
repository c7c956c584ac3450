package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/** A table of {@code num} vectors of size {@code dim}, looked up by INT32 indices of any shape; weight drawn N(0, 1) as PyTorch. */
public final class Embedding extends Module {
    public final int num, dim;

    public Embedding(int num, int dim, Rng rng) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding: sizes must be positive, got " + num + "x" + dim);
        this.num = num;
        this.dim = dim;
        registerParam("weight", Init.normal(rng, 0, 1, num, dim));
    }

    @Override
    protected Tensor compute(Call call, Tensor indices) {
        if (indices.dtype() != DType.INT32)
            throw new IllegalArgumentException("Embedding " + call.fullName("weight") + ": indices must be INT32, got " + indices.dtype() + " " + Shapes.str(indices.shape()));
        int[] flat = indices.data().toIntArray();
        for (int i : flat)
            if (i < 0 || i >= num) throw new IllegalArgumentException("Embedding " + call.fullName("weight") + ": index " + i + " is out of range for " + num + " rows");
        int[] shape = java.util.Arrays.copyOf(indices.shape(), indices.ndim() + 1);
        shape[indices.ndim()] = dim;
        return call.param("weight").indexSelect(0, indices.reshape(-1)).reshape(shape);
    }
}
