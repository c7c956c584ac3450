package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Module;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.CharDataset;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import dev.proxima.train.Evaluation;
import dev.proxima.train.KfacOptions;
import dev.proxima.train.Objective;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The four CPU-scale tasks of the APO study, counterparts of the paper's regression,
 * autoencoder, image classification and sequence experiments. Each fixes its data, its model
 * (built from a seed), its loss, its output divergence ρ (the loss's Bregman divergence, see
 * {@link Divergence}: λ_FSD means the same on every task), the targets of its true Fisher (for
 * KFAC) and its test metric. Budgets and grids are the protocol's ({@link Protocol}), not the
 * task's.
 */
abstract class StudyTask {
    /** What a task is fitted and scored with. */
    enum LossFamily {
        /** {@code Losses.mse} = mean((f − y)²); ρ its Bregman divergence mean((Δf)²); metric an MSE (lower is better). */
        SQUARED_ERROR(Divergence.SQUARED_ERROR),
        /** Softmax cross-entropy; ρ its Bregman divergence, the KL; metric an accuracy or bits per character. */
        CLASSIFICATION(Divergence.KL);

        final Divergence divergence;

        LossFamily(Divergence divergence) {
            this.divergence = divergence;
        }
    }

    final String name;
    final int batchSize;
    private final LossFamily family;
    /** What {@link #testMetric} measures, for the report. */
    final String metricName;
    final boolean higherIsBetter;
    Dataset train;
    private boolean loaded;

    StudyTask(String name, int batchSize, LossFamily family, String metricName, boolean higherIsBetter) {
        this.name = name;
        this.batchSize = batchSize;
        this.family = family;
        this.metricName = metricName;
        this.higherIsBetter = higherIsBetter;
    }

    abstract Module model(long seed);

    /** Loads the data once (later calls do nothing). */
    final void ensureLoaded() throws IOException {
        if (loaded) return;
        load();
        loaded = true;
    }

    abstract void load() throws IOException;

    Tensor loss(Tensor output, Tensor target) {
        return switch (family) {
            case SQUARED_ERROR -> Losses.mse(output, target);
            case CLASSIFICATION -> Losses.crossEntropy(output, target);
        };
    }

    Divergence divergence() {
        return family.divergence;
    }

    /** The task's model as the library trains it: the module, called functionally, and {@link #loss}. */
    Objective objective(Module model) {
        return Objective.of(model, this::loss);
    }

    /**
     * The loss against targets drawn from the model's own predictive distribution: its
     * output-gradients give KFAC the true Fisher ({@link KfacOptions#sampledSquaredError},
     * {@link KfacOptions#sampledCrossEntropy}).
     */
    BiFunction<Tensor, Rng, Tensor> sampledLoss() {
        return switch (family) {
            case SQUARED_ERROR -> KfacOptions.sampledSquaredError();
            case CLASSIFICATION -> KfacOptions.sampledCrossEntropy();
        };
    }

    /** The number of terms the batch loss is a mean over (KFAC's N): the rows of the batch. */
    int examplesPerLoss(Tensor x, Tensor y) {
        return x.shape(0);
    }

    /** A batch as the model and the loss take it: (input, target). */
    Batch prepare(Batch raw) {
        return raw;
    }

    /** The test metric of {@code model} evaluated with {@code params}. */
    abstract double testMetric(Module model, Params params);

    /** Training batches that set a model's running statistics before it is evaluated (as {@code train}'s Trainer did). */
    static final int CALIBRATION_BATCHES = 20;
    /** Examples per evaluation batch. */
    static final int EVALUATION_BATCH = 500;

    /**
     * The library's {@link Evaluation} of {@code model} at {@code params} over {@code data}, in
     * batches of {@link #EVALUATION_BATCH}: the mean loss, and the accuracy when asked for. A
     * model with buffers (the CNN's BatchNorm) is evaluated with statistics estimated at
     * {@code params} from the model's own buffers and the first {@link #CALIBRATION_BATCHES}
     * training batches ("precise BatchNorm"), as the study's first cells were: its learners
     * move the statistics as they train, but the study's protocol fixed this estimate before
     * they did.
     */
    final Evaluation.Result evaluate(Dataset data, Module model, Params params, Evaluation.Accuracy accuracy) {
        var objective = objective(model);
        Params buffers = model.buffers();
        if (!buffers.isEmpty())
            try (var off = Autograd.noGrad()) {
                for (int k = 0; k < CALIBRATION_BATCHES; k++) {
                    int[] idx = new int[batchSize];
                    for (int i = 0; i < batchSize; i++) idx[i] = (k * batchSize + i) % train.size();
                    buffers = objective.forward(params, buffers, prepare(train.get(idx)).x(), Module.Context.training(null)).buffers();
                }
            }
        return Evaluation.run(objective, params, buffers, data, EVALUATION_BATCH, this::prepare, accuracy);
    }

    /** The four tasks by name, in the report's order. */
    static List<StudyTask> all() {
        return List.of(new Regression(), new Autoencoder(), new Cnn(), new CharLm());
    }

    static StudyTask named(String name) {
        for (StudyTask t : all()) if (t.name.equals(name)) return t;
        throw new IllegalArgumentException("bench apo: no task '" + name + "' (regression, autoencoder, cnn, charlm)");
    }

    // ---- the tasks ---------------------------------------------------------------------

    /** Regression: a tanh student MLP 16-64-64-1 fits a random tanh teacher 16-32-1 (×3, plus N(0, 0.1²) noise). */
    static final class Regression extends StudyTask {
        static final int IN = 16;
        Dataset test;

        Regression() {
            super("regression", 64, LossFamily.SQUARED_ERROR, "test MSE", false);
        }

        @Override
        void load() {
            Rng rng = new Rng(1000); // the data never depends on a run's seed
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

        @Override
        double testMetric(Module model, Params params) {
            return evaluate(test, model, params, null).loss(); // the loss is the MSE
        }
    }

    /** Fashion-MNIST images, x as [N, 1, 28, 28] in [0, 1] (or standardized) and y the labels. */
    static ArrayDataset fashion(boolean train, boolean standardize) throws IOException {
        return standardize ? FashionMnist.load(FashionMnist.DEFAULT_DIR, train, FashionMnist.MEAN, FashionMnist.STD)
                : FashionMnist.load(FashionMnist.DEFAULT_DIR, train);
    }

    /** An MLP autoencoder of Fashion-MNIST images, 784-128-32-128-784, ReLU, sigmoid output, MSE. */
    static final class Autoencoder extends StudyTask {
        Dataset test;

        Autoencoder() {
            super("autoencoder", 64, LossFamily.SQUARED_ERROR, "test reconstruction MSE", false);
        }

        @Override
        void load() throws IOException {
            train = fashion(true, false);
            test = fashion(false, false);
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

        @Override
        double testMetric(Module model, Params params) {
            return evaluate(test, model, params, null).loss(); // the loss is the MSE
        }
    }

    /**
     * Fashion-MNIST classification with the CNN of {@code train --model cnn} and {@code demo}:
     * {@code Models.cnn(seed, 1, 28, 28, 16, 32, 128, 10)} (two blocks of conv 3×3, BatchNorm,
     * ReLU, 2×2 pool with 16 and 32 channels; linear 128, linear 10), standardized pixels;
     * accuracy on the 10,000 test images, BatchNorm's statistics re-estimated first
     * ({@link #evaluate}).
     */
    static final class Cnn extends StudyTask {
        static final int C1 = 16, C2 = 32, HIDDEN = 128;
        Dataset test;

        Cnn() {
            super("cnn", 32, LossFamily.CLASSIFICATION, "test accuracy", true);
        }

        @Override
        void load() throws IOException {
            train = fashion(true, true);
            test = fashion(false, true);
        }

        @Override
        Module model(long seed) {
            return Models.cnn(seed, 1, 28, 28, C1, C2, HIDDEN, 10);
        }

        @Override
        Batch prepare(Batch raw) {
            Tensor x = raw.x();
            return new Batch(x.ndim() == 4 ? x : x.reshape(x.shape(0), 1, 28, 28), raw.y());
        }

        @Override
        double testMetric(Module model, Params params) {
            return evaluate(test, model, params, new Evaluation.Accuracy(-1)).metric();
        }
    }

    /**
     * A character-level language model: nn's causal {@code TransformerLM} (d 64, 4 heads,
     * 1 layer, feed-forward 128) over windows of {@link #SEQ_LEN} characters of a text corpus,
     * every position scored (so ρ, the KL, covers exactly the positions the loss scores). The
     * corpus is the plain-text fortune files of Debian's {@code fortunes} package
     * ({@link #CORPUS}); the last 10% of the characters are held out. Metric: validation bits
     * per character over non-overlapping windows of the held-out text (lower is better).
     */
    static final class CharLm extends StudyTask {
        static final Path CORPUS_DIR = Path.of("/usr/share/games/fortunes");
        static final List<String> CORPUS = List.of("computers", "cookie", "definitions");
        static final int SEQ_LEN = 64, D_MODEL = 64, HEADS = 4, LAYERS = 1, FEEDFORWARD = 128;
        /** Held-out windows scored (non-overlapping; at most this many). */
        static final int EVAL_WINDOWS = 512;
        private final String text; // null: read the corpus
        CharDataset validation;
        int vocab;

        CharLm() {
            this(null);
        }

        /** On a given text (tests). */
        CharLm(String text) {
            super("charlm", 16, LossFamily.CLASSIFICATION, "validation bits per character", false);
            this.text = text;
        }

        static String corpus() throws IOException {
            StringBuilder s = new StringBuilder();
            for (String f : CORPUS) {
                Path p = CORPUS_DIR.resolve(f);
                if (!Files.isRegularFile(p))
                    throw new IOException("bench apo: the charlm task reads " + p + " (Debian package 'fortunes': apt-get install fortunes)");
                s.append(Files.readString(p));
            }
            return s.toString();
        }

        @Override
        void load() throws IOException {
            CharDataset all = CharDataset.of(text != null ? text : corpus(), SEQ_LEN);
            CharDataset.Split split = all.split(0.9);
            train = split.train();
            validation = split.validation();
            vocab = all.vocabSize();
        }

        @Override
        Module model(long seed) {
            return Models.transformer(seed, vocab, D_MODEL, HEADS, LAYERS, FEEDFORWARD, SEQ_LEN);
        }

        @Override
        Tensor loss(Tensor output, Tensor target) {
            return Losses.crossEntropy(output.reshape(-1, vocab), target.reshape(-1));
        }

        @Override
        int examplesPerLoss(Tensor x, Tensor y) {
            return y.size(); // the cross-entropy is a mean over every position of every window
        }

        @Override
        double testMetric(Module model, Params params) {
            int windows = Math.min(EVAL_WINDOWS, (validation.size() + SEQ_LEN - 1) / SEQ_LEN);
            int[] starts = new int[windows];
            for (int i = 0; i < windows; i++) starts[i] = i * SEQ_LEN;
            Evaluation.Result r = Evaluation.run(objective(model), params, model.buffers(), validation.subset(starts), 128, b -> b, null);
            return r.loss() / Math.log(2); // the mean cross-entropy in nats per character, in bits
        }
    }
}
