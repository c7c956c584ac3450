package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Shapes;

/**
 * Batch normalization over the channel axis 1 ({@link BatchNorm1d}: {@code [N, C]} or
 * {@code [N, C, L]}; {@link BatchNorm2d}: {@code [N, C, H, W]}), with a learned scale
 * {@code weight} and shift {@code bias} and running statistics {@code running_mean},
 * {@code running_var} (PyTorch's names and update rule: {@code r ← (1−m)·r + m·batch}, the
 * variance unbiased in the running value and biased in the normalization).
 *
 * <p>In training mode it normalizes with the batch's statistics; the running statistics move
 * only in evaluations that update buffers ({@link Module#forward}, {@link Module#applyWithBuffers}),
 * never in {@link Module#apply}. In evaluation mode it normalizes with the running statistics.
 */
public class BatchNorm extends Module {
    public final int features, rank;
    public final double eps, momentum;

    BatchNorm(int features, int rank, double eps, double momentum) {
        if (features <= 0) throw new IllegalArgumentException("BatchNorm: features must be positive, got " + features);
        this.features = features;
        this.rank = rank;
        this.eps = eps;
        this.momentum = momentum;
        registerParam("weight", Tensor.ones(features));
        registerParam("bias", Tensor.zeros(features));
        registerBuffer("running_mean", Tensor.zeros(features));
        registerBuffer("running_var", Tensor.ones(features));
    }


    @Override
    protected Tensor compute(Call call, Tensor x) {
        boolean ok = x.ndim() >= 2 && x.shape(1) == features && (rank == 2 ? x.ndim() == 4 : x.ndim() == 2 || x.ndim() == 3);
        if (!ok)
            throw new IllegalArgumentException("BatchNorm" + rank + "d " + call.fullName("weight") + ": input " + Shapes.str(x.shape())
                    + " must be " + (rank == 2 ? "[N, " + features + ", H, W]" : "[N, " + features + "] or [N, " + features + ", L]"));
        if (training(call)) {
            long count = x.size() / features;
            if (count < 2) throw new IllegalArgumentException("BatchNorm: training needs more than one value per channel, got input " + Shapes.str(x.shape()));
            if (call.updatesBuffers()) {
                double m = momentum;
                // The batch's statistics: constants for the buffers, as PyTorch's running update.
                dev.proxima.tensor.NDArray stats = x.data().batchNormStats();
                Tensor bm = Tensor.of(stats.select(0, 0)), bv = Tensor.of(stats.select(0, 1)).mul((double) count / (count - 1));
                call.setBuffer("running_mean", call.buffer("running_mean").mul(1 - m).add(bm.mul(m)));
                call.setBuffer("running_var", call.buffer("running_var").mul(1 - m).add(bv.mul(m)));
            }
            return Tensor.batchNorm(x, call.param("weight"), call.param("bias"), eps);
        }
        int[] view = new int[x.ndim()];
        java.util.Arrays.fill(view, 1);
        view[1] = features;
        Tensor mean = call.buffer("running_mean").reshape(view);
        Tensor var = call.buffer("running_var").reshape(view);
        Tensor scale = var.add(eps).rsqrt().mul(call.param("weight").reshape(view));
        return x.sub(mean).mul(scale).add(call.param("bias").reshape(view));
    }

    @Override
    public String toString() {
        return "BatchNorm" + rank + "d(" + features + ")";
    }
}
