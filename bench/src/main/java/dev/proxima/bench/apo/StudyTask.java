package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Call;
import dev.proxima.nn.Conv2d;
import dev.proxima.nn.Embedding;
import dev.proxima.nn.Flatten;
import dev.proxima.nn.LayerNorm;
import dev.proxima.nn.Linear;
import dev.proxima.nn.MaxPool2d;
import dev.proxima.nn.Module;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.functional.Losses;
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
    final String name;
    final int steps, batchSize;
    Dataset train, test;

    StudyTask(String name, int steps, int batchSize) {
        this.name = name;
        this.steps = steps;
        this.batchSize = batchSize;
    }

    abstract Module model(long seed);

    abstract Tensor loss(Tensor output, Tensor target);

    abstract Divergence divergence();

    /** What {@link #testMetric} measures, for the table. */
    abstract String metricName();

    abstract boolean higherIsBetter();

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

    /** A batch as the model and the loss take it: (input, target). */
    Batch prepare(Batch raw) {
        return raw;
    }

    /** The metric summed over a test batch (divided by {@link #metricCount} at the end). */
    abstract double metricSum(Tensor output, Tensor y);

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
            super("regression", steps, 64);
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

        @Override
        Tensor loss(Tensor output, Tensor target) {
            return Losses.mse(output, target);
        }

        @Override
        Divergence divergence() {
            return Divergence.HALF_SQUARED_ERROR;
        }

        @Override
        String metricName() {
            return "test MSE (lower is better)";
        }

        @Override
        boolean higherIsBetter() {
            return false;
        }

        @Override
        double metricSum(Tensor output, Tensor y) {
            return squaredErrorSum(output, y);
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
            super("autoencoder", steps, 64);
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
        Tensor loss(Tensor output, Tensor target) {
            return Losses.mse(output, target);
        }

        @Override
        Divergence divergence() {
            return Divergence.HALF_SQUARED_ERROR;
        }

        @Override
        String metricName() {
            return "test reconstruction MSE (lower is better)";
        }

        @Override
        boolean higherIsBetter() {
            return false;
        }

        @Override
        Batch prepare(Batch raw) {
            Tensor flat = raw.x().reshape(raw.x().shape(0), 784);
            return new Batch(flat, flat);
        }

        @Override
        double metricSum(Tensor output, Tensor y) {
            return squaredErrorSum(output, y);
        }
    }

    /** A small CNN classifying Fashion-MNIST: two conv-relu-pool stages and a linear head. */
    static final class Cnn extends StudyTask {
        Cnn(int steps) {
            super("cnn", steps, 64);
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

        @Override
        Tensor loss(Tensor output, Tensor target) {
            return Losses.crossEntropy(output, target);
        }

        @Override
        Divergence divergence() {
            return Divergence.KL;
        }

        @Override
        String metricName() {
            return "test accuracy (higher is better)";
        }

        @Override
        boolean higherIsBetter() {
            return true;
        }

        @Override
        double metricSum(Tensor output, Tensor y) {
            return correct(output, y);
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
     * A one-block transformer encoder reversing sequences of symbols: position i of the output
     * must name the symbol at position T−1−i of the input, which only attention can route.
     */
    static final class Transformer extends StudyTask {
        static final int VOCAB = 10, LENGTH = 10, DIM = 32, HEADS = 2, HIDDEN = 64;

        Transformer(int steps) {
            super("transformer", steps, 64);
        }

        @Override
        void load() {
            Rng rng = new Rng(2000);
            train = make(rng, 8192);
            test = make(rng, 1024);
        }

        private static Dataset make(Rng rng, int n) {
            int[] x = new int[n * LENGTH], y = new int[n * LENGTH];
            for (int i = 0; i < n; i++)
                for (int t = 0; t < LENGTH; t++) x[i * LENGTH + t] = rng.nextInt(VOCAB);
            for (int i = 0; i < n; i++)
                for (int t = 0; t < LENGTH; t++) y[i * LENGTH + t] = x[i * LENGTH + LENGTH - 1 - t];
            return new ArrayDataset(NDArray.of(x, n, LENGTH), NDArray.of(y, n, LENGTH));
        }

        @Override
        Module model(long seed) {
            return new Encoder(new Rng(seed));
        }

        @Override
        Tensor loss(Tensor output, Tensor target) {
            return Losses.crossEntropy(output.reshape(-1, VOCAB), target.reshape(-1));
        }

        @Override
        Divergence divergence() {
            return Divergence.KL;
        }

        @Override
        String metricName() {
            return "test token accuracy (higher is better)";
        }

        @Override
        boolean higherIsBetter() {
            return true;
        }

        @Override
        double metricSum(Tensor output, Tensor y) {
            return correct(output, y);
        }

        @Override
        double metricCount(int examples) {
            return (double) examples * LENGTH;
        }
    }

    /**
     * Pre-norm transformer block over learned token and position embeddings, then a linear
     * head per position. Attention is written here from Tensor ops (scaled dot product,
     * softmax over keys); its projections are nn Linear layers, so KFAC sees them as taps.
     */
    static final class Encoder extends Module {
        private final Embedding tok;
        private final LayerNorm ln1, ln2, lnf;
        private final Linear qkv, proj, fc1, fc2, head;

        Encoder(Rng rng) {
            int d = Transformer.DIM;
            tok = registerChild("tok", new Embedding(Transformer.VOCAB, d, rng));
            registerParam("pos", Tensor.randn(rng, DType.FLOAT32, Transformer.LENGTH, d).mul(0.1));
            ln1 = registerChild("ln1", new LayerNorm(d));
            qkv = registerChild("qkv", new Linear(d, 3 * d, rng));
            proj = registerChild("proj", new Linear(d, d, rng));
            ln2 = registerChild("ln2", new LayerNorm(d));
            fc1 = registerChild("fc1", new Linear(d, Transformer.HIDDEN, rng));
            fc2 = registerChild("fc2", new Linear(Transformer.HIDDEN, d, rng));
            lnf = registerChild("lnf", new LayerNorm(d));
            head = registerChild("head", new Linear(d, Transformer.VOCAB, rng));
        }

        @Override
        protected Tensor compute(Call call, Tensor x) {
            int b = x.shape(0), t = x.shape(1), d = Transformer.DIM, h = Transformer.HEADS, dh = d / h;
            Tensor z = call.run("tok", tok, x).add(call.param("pos"));
            Tensor[] qkvs = call.run("qkv", qkv, call.run("ln1", ln1, z)).split(2, d, d, d);
            Tensor q = heads(qkvs[0], b, t, h, dh), k = heads(qkvs[1], b, t, h, dh), v = heads(qkvs[2], b, t, h, dh);
            Tensor att = q.matmul(k.mT()).mul(1.0 / Math.sqrt(dh)).softmax(3);
            Tensor o = att.matmul(v).permute(0, 2, 1, 3).reshape(b, t, d);
            z = z.add(call.run("proj", proj, o));
            z = z.add(call.run("fc2", fc2, call.run("fc1", fc1, call.run("ln2", ln2, z)).relu()));
            return call.run("head", head, call.run("lnf", lnf, z));
        }

        private static Tensor heads(Tensor x, int b, int t, int h, int dh) {
            return x.reshape(b, t, h, dh).permute(0, 2, 1, 3);
        }
    }
}
