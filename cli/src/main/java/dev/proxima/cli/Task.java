package dev.proxima.cli;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.CharDataset;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.data.SequenceTask;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.train.Evaluation;
import dev.proxima.train.Objective;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model on a data set: the train and test splits, the model, how a batch becomes its
 * input and target, the training loss, and the test metric. Image classification (mlp, cnn),
 * reconstruction (autoencoder), and next-token prediction (transformer on copy or text).
 */
final class Task {
    /** Examples of the synthetic copy task (train; the test split is a fifth of it). */
    private static final int COPY_TRAIN = 20_000, COPY_SYMBOLS = 10, COPY_MIN = 4, COPY_MAX = 8;
    private static final int TEXT_SEQ_LEN = 64;
    /** Target positions that score nothing (the source half of a copy sequence). */
    private static final int IGNORE = -1;

    final Dataset train, test;
    final Module model;
    final Kind kind;
    /** The metric an evaluation reports besides the loss ("accuracy", or none for reconstruction). */
    final String metricName;
    /** Where the model lives; batches are moved there. */
    dev.proxima.tensor.Device device = dev.proxima.tensor.Device.cpu();
    /** Whether the model takes images as flat rows (the MLP) rather than [N, 1, 28, 28]. */
    boolean flatImages;

    enum Kind { CLASSIFY, RECONSTRUCT, NEXT_TOKEN_COPY, NEXT_TOKEN_TEXT }

    private Task(Dataset train, Dataset test, Module model, Kind kind, String metricName) {
        this.train = train;
        this.test = test;
        this.model = model;
        this.kind = kind;
        this.metricName = metricName;
    }

    static Task of(TrainConfig c) throws IOException {
        long seed = c.seed();
        Dataset train, test;
        return switch (c.model()) {
            case "mlp", "cnn" -> {
                train = limit(FashionMnist.load(c.dataDir(), true, FashionMnist.MEAN, FashionMnist.STD), c.limit());
                test = limit(FashionMnist.load(c.dataDir(), false, FashionMnist.MEAN, FashionMnist.STD), c.limit());
                Module m = c.model().equals("mlp") ? Models.mlp(seed, 784, 256, 128, 10) : Models.cnn(seed);
                Task t = new Task(train, test, m, Kind.CLASSIFY, "accuracy");
                t.flatImages = c.model().equals("mlp");
                yield t;
            }
            case "autoencoder" -> {
                train = limit(FashionMnist.load(c.dataDir(), true), c.limit());
                test = limit(FashionMnist.load(c.dataDir(), false), c.limit());
                yield new Task(train, test, Models.autoencoder(seed, 784, 256, 64, 16), Kind.RECONSTRUCT, null);
            }
            case "transformer" -> {
                if (c.data().equals("copy")) {
                    train = limit(new SequenceTask(SequenceTask.Kind.COPY, COPY_TRAIN, COPY_MIN, COPY_MAX, COPY_SYMBOLS, seed), c.limit());
                    test = limit(new SequenceTask(SequenceTask.Kind.COPY, COPY_TRAIN / 5, COPY_MIN, COPY_MAX, COPY_SYMBOLS, seed + 1), c.limit());
                    int vocab = SequenceTask.FIRST_SYMBOL + COPY_SYMBOLS;
                    yield new Task(train, test, Models.transformer(seed, vocab, 64, 4, 2, 128, 2 * COPY_MAX + 1),
                            Kind.NEXT_TOKEN_COPY, "token accuracy");
                }
                CharDataset text = CharDataset.fromFile(Path.of(c.data().substring(5)), TEXT_SEQ_LEN);
                CharDataset.Split split = text.split(0.9);
                yield new Task(limit(split.train(), c.limit()), limit(split.validation(), c.limit()),
                        Models.transformer(seed, text.vocabSize(), 64, 4, 2, 128, TEXT_SEQ_LEN), Kind.NEXT_TOKEN_TEXT, "token accuracy");
            }
            default -> throw new IllegalArgumentException("no model " + c.model());
        };
    }

    private static Dataset limit(Dataset d, int n) {
        return n > 0 && n < d.size() ? d.subset(n) : d;
    }

    /**
     * APO's function-space term, the Bregman divergence of this task's loss (so λ_FSD weighs it
     * like the loss): the KL between class distributions for a cross-entropy, the KL between
     * the pixels' Bernoulli distributions for the reconstruction's binary cross-entropy.
     */
    Divergence divergence() {
        return kind == Kind.RECONSTRUCT ? Divergence.BERNOULLI_KL : Divergence.KL;
    }

    /** The model's input for a batch's x. */
    Tensor input(Tensor x, Tensor y) {
        return switch (kind) {
            case CLASSIFY -> flatImages ? x.reshape(x.shape(0), -1) : x;
            case RECONSTRUCT -> x.reshape(x.shape(0), -1);
            // One causal sequence: the source, then BOS and the copy; the model predicts the copy.
            case NEXT_TOKEN_COPY -> Tensor.concat(1, x, SequenceTask.decoderInput(y));
            case NEXT_TOKEN_TEXT -> x;
        };
    }

    /** The target the loss compares the model's output with. */
    Tensor target(Tensor x, Tensor y) {
        return switch (kind) {
            case CLASSIFY, NEXT_TOKEN_TEXT -> y;
            case RECONSTRUCT -> x.reshape(x.shape(0), -1);
            case NEXT_TOKEN_COPY -> Tensor.concat(1, Tensor.full(IGNORE, DType.INT32, x.shape(0), x.shape(1)).to(y.device()), SequenceTask.decoderTarget(y));
        };
    }

    /** The training loss of an output against a target (a 0-d tensor). */
    Tensor loss(Tensor output, Tensor target) {
        return switch (kind) {
            case CLASSIFY -> Losses.crossEntropy(output, target);
            case RECONSTRUCT -> Losses.bceWithLogits(output, target);
            case NEXT_TOKEN_COPY, NEXT_TOKEN_TEXT -> {
                int v = output.shape(output.ndim() - 1);
                yield Losses.crossEntropy(output.reshape(-1, v), target.reshape(-1), 0, kind == Kind.NEXT_TOKEN_COPY ? IGNORE : Losses.IGNORE_NONE);
            }
        };
    }

    /**
     * How many terms {@link #loss} averages over for this target: a data-parallel step weighs
     * each worker's mean loss by it, so the average over the workers is the global batch's
     * mean (a copy sequence scores only its copy half, and shards differ in how many it has).
     */
    int weight(Tensor target) {
        if (kind != Kind.NEXT_TOKEN_COPY) return target.size();
        int n = 0;
        for (float t : target.to(DType.FLOAT32).toFloatArray()) if (t != IGNORE) n++;
        return n;
    }

    /** What the learner minimizes: the model and {@link #loss}, weighed by {@link #weight} across workers. */
    Objective objective() {
        return new Objective(model, this::loss, this::weight);
    }

    /** A batch of the data set as (the model's input, the loss's target), on the model's device. */
    Batch prepare(Batch raw) {
        Batch b = device.kind().equals("cpu") ? raw : new Batch(raw.x().to(device), raw.y().to(device));
        return new Batch(input(b.x(), b.y()), target(b.x(), b.y()));
    }

    /** The test metric: accuracy over the targets that score (null for reconstruction). */
    Evaluation.Accuracy accuracy() {
        return metricName == null ? null : new Evaluation.Accuracy(IGNORE);
    }
}
