package dev.proxima.nn;

import dev.proxima.autograd.Tensor;

/** Flattens every axis from {@code startAxis} (default 1, keeping the batch) into one. */
public final class Flatten extends Module {
    private final int startAxis;

    public Flatten() {
        this(1);
    }

    public Flatten(int startAxis) {
        this.startAxis = startAxis;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        int a = startAxis < 0 ? startAxis + x.ndim() : startAxis;
        if (a < 0 || a >= Math.max(1, x.ndim()))
            throw new IllegalArgumentException("Flatten: start axis " + startAxis + " is out of range for " + dev.proxima.tensor.Shapes.str(x.shape()));
        int[] s = new int[a + 1];
        for (int i = 0; i < a; i++) s[i] = x.shape(i);
        s[a] = -1;
        return x.reshape(s);
    }

    @Override
    public String toString() {
        return "Flatten(" + startAxis + ")";
    }
}
