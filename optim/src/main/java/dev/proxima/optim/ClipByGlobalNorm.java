package dev.proxima.optim;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;

/**
 * Gradient clipping by the global norm, as PyTorch's {@code clip_grad_norm_}: with
 * {@code n = ||grads||} over all tensors ({@link Params#norm()}), every gradient is scaled
 * by {@code min(1, maxNorm / (n + 1e-6))}. The scale is a Tensor expression, so clipping
 * stays differentiable (it is a constant 1 below the threshold).
 *
 * @param maxNorm the largest global norm let through (> 0)
 */
public record ClipByGlobalNorm(double maxNorm) implements GradientTransform<GradientTransform.Stateless> {
    /** PyTorch's guard against a zero norm. */
    static final double EPS = 1e-6;

    public ClipByGlobalNorm {
        Trees.requirePositive("ClipByGlobalNorm", "maxNorm", maxNorm);
    }

    public static ClipByGlobalNorm of(double maxNorm) {
        return new ClipByGlobalNorm(maxNorm);
    }

    @Override
    public Stateless init(Params params) {
        return Stateless.INSTANCE;
    }

    @Override
    public Update<Stateless> update(Params grads, Stateless state, Params params) {
        if (grads.isEmpty()) return new Update<>(grads, state);
        Tensor scale = grads.norm().add(EPS).reciprocal().mul(maxNorm).minimum(1.0);
        return new Update<>(grads.map(g -> g.mul(scale.to(g.dtype()))), state);
    }

    @Override
    public String toString() {
        return "ClipByGlobalNorm(maxNorm=" + maxNorm + ")";
    }
}
