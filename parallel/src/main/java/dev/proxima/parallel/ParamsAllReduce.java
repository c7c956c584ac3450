package dev.proxima.parallel;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Averages a parameter-shaped tree (gradients, a meta-gradient) over the workers of a
 * {@link Collective} in one all-reduce: the tree is flattened into one buffer in name order
 * (float32 when every tensor is float32, float64 otherwise), a few scalars ride along at its
 * end, the buffer is summed, and the tree is rebuilt with the same names, shapes and dtypes.
 *
 * <p>As a {@code UnaryOperator<Params>} it is the equal-weight mean, the hook a training loop
 * that knows nothing of workers (APO's meta-step, for one) can call to make its gradient the
 * job's gradient. Every worker must call it with congruent trees, in the same order.
 */
public final class ParamsAllReduce implements UnaryOperator<Params> {
    private final Collective collective;
    private float[] floats = new float[0];
    private double[] doubles = new double[0];

    public ParamsAllReduce(Collective collective) {
        this.collective = collective;
    }

    public Collective collective() { return collective; }

    /**
     * The result of {@link #weightedMean}: the mean tree, the total weight, and the sums of
     * the scalars that rode along.
     */
    public record Weighted(Params mean, double totalWeight, double[] scalarSums) {}

    /** The plain mean over workers: {@code (t_0 + ... + t_{p-1}) / p}. */
    @Override
    public Params apply(Params local) {
        return weightedMean(local, 1).mean();
    }

    /**
     * {@code sum_i w_i t_i / sum_i w_i}, with {@code w_i} this worker's {@code weight} (e.g. the
     * examples in its shard, so that uneven shards still give the gradient of the global
     * batch), and each of {@code scalars} summed over the workers. A weight of 0 contributes
     * nothing; if every weight is 0 the mean is all zeros.
     */
    public Weighted weightedMean(Params local, double weight, double... scalars) {
        if (!(weight >= 0) || Double.isInfinite(weight))
            throw new IllegalArgumentException("ParamsAllReduce: weight must be finite and >= 0, got " + weight);
        long numel = local.numel();
        int extra = 1 + scalars.length;
        if (numel + extra > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("ParamsAllReduce: " + numel + " elements do not fit one buffer; split the tree");
        int n = (int) numel + extra;
        boolean single = allFloat32(local);
        List<Tensor> values = local.values();
        double[] sums = new double[scalars.length];
        List<Tensor> out = new ArrayList<>(values.size());
        double total;
        if (single) {
            if (floats.length != n) floats = new float[n];
            int at = 0;
            for (Tensor t : values) {
                float[] a = t.toFloatArray();
                if (weight == 1) System.arraycopy(a, 0, floats, at, a.length);
                else for (int i = 0; i < a.length; i++) floats[at + i] = a[i] * (float) weight;
                at += a.length;
            }
            floats[at] = (float) weight;
            for (int k = 0; k < scalars.length; k++) floats[at + 1 + k] = (float) scalars[k];
            collective.allReduceSum(floats);
            total = floats[at];
            for (int k = 0; k < scalars.length; k++) sums[k] = floats[at + 1 + k];
            float inv = total > 0 ? (float) (1 / total) : 0f;
            at = 0;
            for (Tensor t : values) {
                float[] a = new float[t.size()];
                for (int i = 0; i < a.length; i++) a[i] = floats[at + i] * inv;
                at += a.length;
                out.add(Tensor.of(a, t.shape()).to(t.device())); // the arrays crossed the wire on the host
            }
        } else {
            if (doubles.length != n) doubles = new double[n];
            int at = 0;
            for (Tensor t : values) {
                double[] a = t.toDoubleArray();
                for (int i = 0; i < a.length; i++) doubles[at + i] = a[i] * weight;
                at += a.length;
            }
            doubles[at] = weight;
            System.arraycopy(scalars, 0, doubles, at + 1, scalars.length);
            collective.allReduceSum(doubles);
            total = doubles[at];
            System.arraycopy(doubles, at + 1, sums, 0, scalars.length);
            double inv = total > 0 ? 1 / total : 0;
            at = 0;
            for (Tensor t : values) {
                double[] a = new double[t.size()];
                for (int i = 0; i < a.length; i++) a[i] = doubles[at + i] * inv;
                at += a.length;
                Tensor back = Tensor.of(a, t.shape());
                out.add((t.dtype() == DType.FLOAT64 ? back : back.to(t.dtype())).to(t.device()));
            }
        }
        return new Weighted(local.withValues(out), total, sums);
    }

    private static boolean allFloat32(Params p) {
        for (Tensor t : p.values()) if (t.dtype() != DType.FLOAT32) return false;
        return true;
    }
}
