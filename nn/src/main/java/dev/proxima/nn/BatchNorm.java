package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Shapes;

/**
 * Batch normalization over the channel axis 1 ({@link BatchNorm1d}: {@code [N, C]} or
 * {@code [N, C, L]}; {@link BatchNorm2d}: {@code [N, C, H, W]}), with a learned scale
 * {@code weight} and shift {@code bias} and running statistics {@code running_mean},
 * {@code running_var} (PyTorch's names and update rule: {@code r ← (1−m)·r + m·batch}, the
 * variance unbiased in the running value and biased in the normalization), and the count of
 * batches they have seen, {@code num_batches_tracked}.
 *
 * <p>The count is a 0-d INT32 buffer where PyTorch's is int64 (torch.long): Proxima has no
 * 64-bit integer type. It goes up by one per training-mode call that moves the statistics,
 * and stops at 2^31 − 1 (a run of two billion batches) rather than wrapping. A module's state
 * dict written with {@link dev.proxima.nn.io.Safetensors#writeStateDict} stores it as I64, the
 * type PyTorch's {@code state_dict()} has, and reading gives int32 back.
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
        registerBuffer("num_batches_tracked", Tensor.full(0, DType.INT32));
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
                call.setBuffer("num_batches_tracked", counted(call.buffer("num_batches_tracked")));
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

    /**
     * The counter plus one, saturating at int32's maximum. Counted on the host: INT32 has no
     * elementwise arithmetic (it holds indices), and a 0-d read costs nothing beside a batch.
     */
    private static Tensor counted(Tensor count) {
        long next = Math.min((long) count.item() + 1, Integer.MAX_VALUE);
        return Tensor.full(next, DType.INT32).to(count.device());
    }

    @Override
    public String toString() {
        return "BatchNorm" + rank + "d(" + features + ")";
    }
}
