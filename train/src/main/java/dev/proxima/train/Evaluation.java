package dev.proxima.train;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.Dataset;
import dev.proxima.tensor.DType;
import java.util.function.UnaryOperator;

/**
 * The mean loss of a model over a data set, and optionally its accuracy, in evaluation mode
 * ({@link Module.Context#EVAL}: the module's own mode is left alone) and without gradients, from given parameters and buffers (what training produced: BatchNorm
 * normalizes with the running statistics the learner moved, never re-estimated here).
 */
public final class Evaluation {
    private Evaluation() {}

    /** The mean loss over the examples, and the metric (NaN when none was asked for). */
    public record Result(double loss, double metric) {}

    /** Accuracy: the fraction of targets equal to the argmax of the output's last axis, skipping targets equal to {@code ignore}. */
    public record Accuracy(int ignore) {}

    /**
     * Evaluates {@code objective} at ({@code params}, {@code buffers}) over {@code data} in
     * batches of {@code batch} examples, in order.
     *
     * @param prepare  a batch of the data set to (the model's input, the loss's target), on the model's device
     * @param accuracy the metric to compute, or null for none
     */
    public static Result run(Objective objective, Params params, Params buffers, Dataset data, int batch,
                             UnaryOperator<Batch> prepare, Accuracy accuracy) {
        if (batch < 1) throw new IllegalArgumentException("Evaluation.run: batch must be >= 1, got " + batch);
        double lossSum = 0, correct = 0, counted = 0;
        int n = data.size();
        try (var off = Autograd.noGrad()) {
            for (int start = 0; start < n; start += batch) {
                int end = Math.min(n, start + batch);
                int[] idx = new int[end - start];
                for (int i = 0; i < idx.length; i++) idx[i] = start + i;
                Batch b = prepare.apply(data.get(idx));
                // Evaluation mode travels in the call: the module's own mode is neither read nor changed.
                Tensor out = objective.forward(params, buffers, b.x(), Module.Context.EVAL).output();
                lossSum += objective.loss().apply(out, b.y()).item() * idx.length;
                if (accuracy != null) {
                    int v = out.shape(out.ndim() - 1);
                    float[] pred = out.reshape(-1, v).argmax(1, false).to(DType.FLOAT32).toFloatArray();
                    float[] want = b.y().reshape(-1).to(DType.FLOAT32).toFloatArray();
                    for (int i = 0; i < pred.length; i++) {
                        if (want[i] == accuracy.ignore()) continue;
                        counted++;
                        if (pred[i] == want[i]) correct++;
                    }
                }
            }
        }
        return new Result(lossSum / n, accuracy == null ? Double.NaN : correct / counted);
    }
}
