package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Conv2d;
import dev.proxima.nn.Flatten;
import dev.proxima.nn.Linear;
import dev.proxima.nn.MaxPool2d;
import dev.proxima.nn.Module;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.data.SequenceTask;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.io.IOException;
import java.util.function.BiFunction;

/**
 * The four CPU-scale tasks of the APO study, counterparts of the paper's regression,
 * autoencoder, image classification and translation experiments. Each fixes its data, its
 * model (built from a seed, so every method starts from the same weights), its loss, its
 * output divergence ρ and its test metric.
 */
abstract class StudyTask {
    /** What a task is fitted and scored with. */
    enum Objective {
        /** The mean squared error; ρ the half squared error; the metric an MSE (lower is better). */
        SQUARED_ERROR(Divergence.HALF_SQUARED_ERROR),
        /** Cross-entropy over classes; ρ the KL divergence; the metric an accuracy (higher is better). */
        CLASSIFICATION(Divergence.KL);

        final Divergence divergence;

        Objective(Divergence divergence) {
            this.divergence = divergence;
        }
    }

    final String name;
    final int steps, batchSize;
    private final Objective objective;
    /** What {@link #testMetric} measures, for the table. */
    private final String metricName;
    Dataset train, test;

    StudyTask(String name, int steps, int batchSize, Objective objective, String metricName) {
        this.name = name;
        this.steps = steps;
        this.batchSize = batchSize;
        this.objective = objective;
        this.metricName = metricName;
    }

    abstract Module model(long seed);

    Tensor loss(Tensor output, Tensor target) {
        return switch (objective) {
            case SQUARED_ERROR -> Losses.mse(output, target);
            case CLASSIFICATION -> Losses.crossEntropy(output, target);
        };
    }

    Divergence divergence() {
        return objective.divergence;
    }

    String metricName() {
        return metricName;
    }

    boolean higherIsBetter() {
        return objective == Objective.CLASSIFICATION;
    }

    /** The test metric of {@code model} evaluated with {@code params}, in batches. */
    double testMetric(Module model, Params params) {
        double sum = 0;
        int n = test.size(), chunk = 500;
        try (var off = Autograd.noGrad()) {
            for (int start = 0; start < n; start += chunk) {
                int end = Math.min(n, start + chunk);
                int[] idx = new int[end - start];
                for (int i = 0; i < idx.length; i++) idx[i] = start + i;
                Batch b = prepare(test.get(idx));
                sum += metricSum(model.apply(params, b.x()), b.y());
            }
        }
        return sum / metricCount(n);
    }

    /** The number of terms the batch loss is a mean over (KFAC's N): the rows of the batch. */
    int examplesPerLoss(Batch b) {
        return b.x().shape(0);
    }

    /** A batch as the model and the loss take it: (input, target). */
    Batch prepare(Batch raw) {
        return raw;
    }

    /** The metric summed over a test batch (divided by {@link #metricCount} at the end). */
    double metricSum(Tensor output, Tensor y) {
        return switch (objective) {
            case SQUARED_ERROR -> squaredErrorSum(output, y);
            case CLASSIFICATION -> correct(output, y);
        };
    }

    double metricCount(int examples) {
        return examples;
    }

    abstract void load() throws IOException;

    /** Mean squared error summed per example (mean over the example's outputs). */
    static double squaredErrorSum(Tensor output, Tensor y) {
        Tensor d = output.sub(y.reshape(output.shape()));
        return d.square().mean().item() * output.shape(0);
    }

    // ---- the tasks ---------------------------------------------------------------------

    /** Regression: a student MLP fits a random teacher MLP's outputs (plus noise). */
    static final class Regression extends StudyTask {
        static final int IN = 16;

        Regression(int steps) {
            super("regression", steps, 64, Objective.SQUARED_ERROR, "test MSE (lower is better)");
        }

        @Override
        void load() {
            Rng rng = new Rng(1000);
            Module teacher = new Sequential(new Linear(IN, 32, rng), Activation.tanh(), new Linear(32, 1, rng));
            train = make(teacher, rng, 8192);
            test = make(teacher, rng, 2048);
        }

        private static Dataset make(Module teacher, Rng rng, int n) {
            Tensor x = Tensor.randn(rng, DType.FLOAT32, n, IN);
            Tensor y;
            try (var off = Autograd.noGrad()) {
                y = teacher.forward(x).mul(3.0).add(Tensor.randn(rng, DType.FLOAT32, n, 1).mul(0.1));
            }
            return new ArrayDataset(x.data(), y.data());
        }

        @Override
        Module model(long seed) {
            Rng rng = new Rng(seed);
            return new Sequential(new Linear(IN, 64, rng), Activation.tanh(), new Linear(64, 64, rng), Activation.tanh(), new Linear(64, 1, rng));
        }
    }

    /** Fashion-MNIST images, x as [N, 1, 28, 28] in [0, 1] (or standardized) and y the labels. */
    static Dataset fashion(boolean train, boolean standardize, int limit) throws IOException {
        ArrayDataset d = standardize ? FashionMnist.load(FashionMnist.DEFAULT_DIR, train, FashionMnist.MEAN, FashionMnist.STD)
                : FashionMnist.load(FashionMnist.DEFAULT_DIR, train);
        return limit < d.size() ? d.subset(limit) : d;
    }

    static Tensor asImages(Tensor x) {
        return x.ndim() == 4 ? x : x.reshape(x.shape(0), 1, 28, 28);
    }

    /** An MLP autoencoder of Fashion-MNIST images, 784-128-32-128-784, trained with MSE. */
    static final class Autoencoder extends StudyTask {
        Autoencoder(int steps) {
            super("autoencoder", steps, 64, Objective.SQUARED_ERROR, "test reconstruction MSE (lower is better)");
        }

        @Override
        void load() throws IOException {
            train = fashion(true, false, 60000);
            test = fashion(false, false, 2000);
        }

        @Override
        Module model(long seed) {
            Rng rng = new Rng(seed);
            return new Sequential(new Linear(784, 128, rng), Activation.relu(), new Linear(128, 32, rng), Activation.relu(),
                    new Linear(32, 128, rng), Activation.relu(), new Linear(128, 784, rng), Activation.sigmoid());
        }

        @Override
        Batch prepare(Batch raw) {
            Tensor flat = raw.x().reshape(raw.x().shape(0), 784);
            return new Batch(flat, flat);
        }
    }

    /** A small CNN classifying Fashion-MNIST: two conv-relu-pool stages and a linear head. */
    static final class Cnn extends StudyTask {
        Cnn(int steps) {
            super("cnn", steps, 64, Objective.CLASSIFICATION, "test accuracy (higher is better)");
        }

        @Override
        void load() throws IOException {
            train = fashion(true, true, 60000);
            test = fashion(false, true, 5000);
        }

        @Override
        Module model(long seed) {
            Rng rng = new Rng(seed);
            return new Sequential(new Conv2d(1, 8, 3, 1, 1, rng), Activation.relu(), new MaxPool2d(2),
                    new Conv2d(8, 16, 3, 1, 1, rng), Activation.relu(), new MaxPool2d(2), new Flatten(), new Linear(16 * 7 * 7, 10, rng));
        }

        @Override
        Batch prepare(Batch raw) {
            return new Batch(asImages(raw.x()), raw.y());
        }
    }

    static double correct(Tensor logits, Tensor labels) {
        int[] pred = logits.argmax(logits.ndim() - 1, false).data().toIntArray();
        int[] truth = labels.data().toIntArray();
        int c = 0;
        for (int i = 0; i < pred.length; i++) if (pred[i] == truth[i]) c++;
        return c;
    }

    /**
     * A causal transformer language model (nn's {@code Models.transformer}) reversing sequences
     * (nn's {@code SequenceTask.REVERSE}): the model reads the source, then BOS, and must
     * continue with the source reversed and EOS; only those continuation tokens are scored.
     * Reversing needs attention across the whole source.
     */
    static final class Transformer extends StudyTask {
        static final int SYMBOLS = 8, LENGTH = 8, VOCAB = SequenceTask.FIRST_SYMBOL + SYMBOLS, IGNORE = -100;
        /** Source, then the target without its last token: the model's input positions. */
        static final int POSITIONS = LENGTH + LENGTH + 1;

        Transformer(int steps) {
            super("transformer", steps, 64, Objective.CLASSIFICATION, "test token accuracy on the reversed continuation (higher is better)");
        }

        @Override
        void load() {
            train = new SequenceTask(SequenceTask.Kind.REVERSE, 8192, LENGTH, LENGTH, SYMBOLS, 2000);
            test = new SequenceTask(SequenceTask.Kind.REVERSE, 1024, LENGTH, LENGTH, SYMBOLS, 2001);
        }

        /** (source ++ target[:-1], next tokens with every position before the continuation ignored). */
        @Override
        Batch prepare(Batch raw) {
            int b = raw.x().shape(0), s = raw.x().shape(1), t = raw.y().shape(1);
            int[] x = raw.x().data().toIntArray(), y = raw.y().data().toIntArray();
            int n = s + t - 1;
            int[] tokens = new int[b * n], targets = new int[b * n];
            for (int i = 0; i < b; i++) {
                int[] seq = new int[s + t];
                System.arraycopy(x, i * s, seq, 0, s);
                System.arraycopy(y, i * t, seq, s, t);
                for (int j = 0; j < n; j++) {
                    tokens[i * n + j] = seq[j];
                    // position j predicts seq[j + 1]; score only f(source) and EOS, i.e. y[1..]
                    boolean scored = j + 1 > s && seq[j + 1] != SequenceTask.PAD;
                    targets[i * n + j] = scored ? seq[j + 1] : IGNORE;
                }
            }
            return new Batch(Tensor.of(NDArray.of(tokens, b, n)), Tensor.of(NDArray.of(targets, b, n)));
        }

        @Override
        Module model(long seed) {
            return Models.transformer(seed, VOCAB, 32, 2, 1, 64, POSITIONS);
        }

        @Override
        Tensor loss(Tensor output, Tensor target) {
            return Losses.crossEntropy(output.reshape(-1, VOCAB), target.reshape(-1), 0, IGNORE);
        }

        @Override
        int examplesPerLoss(Batch b) {
            int n = 0;
            for (int v : b.y().data().toIntArray()) n += v == IGNORE ? 0 : 1;
            return n; // the cross-entropy is a mean over the scored positions
        }

        @Override
        double testMetric(Module model, Params params) {
            long correct = 0, scored = 0;
            try (var off = Autograd.noGrad()) {
                int n = test.size();
                for (int start = 0; start < n; start += 512) {
                    int[] idx = new int[Math.min(n, start + 512) - start];
                    for (int i = 0; i < idx.length; i++) idx[i] = start + i;
                    Batch b = prepare(test.get(idx));
                    int[] pred = model.apply(params, b.x()).argmax(2, false).data().toIntArray();
                    int[] truth = b.y().data().toIntArray();
                    for (int i = 0; i < pred.length; i++) {
                        if (truth[i] == IGNORE) continue;
                        scored++;
                        correct += pred[i] == truth[i] ? 1 : 0;
                    }
                }
            }
            return (double) correct / scored;
        }

        @Override
        double metricSum(Tensor output, Tensor y) {
            throw new UnsupportedOperationException("testMetric is overridden");
        }
    }
}
