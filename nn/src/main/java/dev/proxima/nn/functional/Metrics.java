package dev.proxima.nn.functional;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.Dataset;
import dev.proxima.tensor.Shapes;
import java.util.Arrays;

/**
 * Evaluation metrics (no gradients): the counterparts of torchmetrics' accuracy for a model's
 * logits {@code [..., C]} and class indices {@code [...]} (INT32, as {@link Losses#crossEntropy}
 * takes them).
 */
public final class Metrics {
    private Metrics() {}

    /** Number of positions whose largest logit is at the labelled class. */
    public static long correct(Tensor logits, Tensor labels) {
        int[] ls = logits.shape(), ys = labels.shape();
        if (ls.length < 1 || !Arrays.equals(Arrays.copyOf(ls, ls.length - 1), ys))
            throw new IllegalArgumentException("accuracy: logits " + Shapes.str(ls) + " and labels " + Shapes.str(ys)
                    + " do not match (expected labels of shape logits.shape[:-1])");
        int[] predicted = logits.argmax(-1, false).data().toIntArray(), y = labels.data().toIntArray();
        long n = 0;
        for (int i = 0; i < y.length; i++) if (predicted[i] == y[i]) n++;
        return n;
    }

    /** The fraction of positions whose largest logit is at the labelled class, in [0, 1]. */
    public static double accuracy(Tensor logits, Tensor labels) {
        long total = labels.size();
        if (total == 0) throw new IllegalArgumentException("accuracy: no labels");
        return (double) correct(logits, labels) / total;
    }

    /**
     * The accuracy of {@code model} over a whole data set, in batches of {@code batchSize},
     * in evaluation mode (dropout off, batch norm on its running statistics) and without
     * recording gradients; the model's training flag is restored afterwards.
     */
    public static double accuracy(Module model, Dataset data, int batchSize) {
        boolean training = model.isTraining();
        model.train(false);
        long right = 0, total = 0;
        try (Autograd.Scope s = Autograd.noGrad()) {
            for (Batch b : DataLoader.of(data, batchSize)) {
                right += correct(model.forward(b.x()), b.y());
                total += b.y().size();
            }
        } finally {
            model.train(training);
        }
        if (total == 0) throw new IllegalArgumentException("accuracy: the data set is empty");
        return (double) right / total;
    }
}
