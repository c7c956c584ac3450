package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Shapes;
import java.util.Arrays;

/** Normalizes over the trailing {@code normalizedShape} axes with a learned elementwise scale and shift (PyTorch's LayerNorm). */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    public final double eps;

    public LayerNorm(int... normalizedShape) {
        this(1e-5, normalizedShape);
    }

    public LayerNorm(double eps, int... normalizedShape) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: needs a normalized shape");
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        registerParam("weight", Tensor.ones(normalizedShape));
        registerParam("bias", Tensor.zeros(normalizedShape));
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        int k = normalizedShape.length, nd = x.ndim();
        if (nd < k || !Arrays.equals(Arrays.copyOfRange(x.shape(), nd - k, nd), normalizedShape))
            throw new IllegalArgumentException("LayerNorm " + call.fullName("weight") + ": input " + Shapes.str(x.shape())
                    + " must end in " + Shapes.str(normalizedShape));
        int[] axes = new int[k];
        for (int i = 0; i < k; i++) axes[i] = nd - k + i;
        Tensor centered = x.sub(x.mean(axes, true));
        Tensor y = centered.mul(centered.square().mean(axes, true).add(eps).rsqrt());
        return y.mul(call.param("weight")).add(call.param("bias"));
    }
}
