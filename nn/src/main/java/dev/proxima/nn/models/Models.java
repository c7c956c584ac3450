package dev.proxima.nn.models;

import dev.proxima.nn.BatchNorm2d;
import dev.proxima.nn.Conv2d;
import dev.proxima.nn.Flatten;
import dev.proxima.nn.Linear;
import dev.proxima.nn.MaxPool2d;
import dev.proxima.nn.Module;
import dev.proxima.nn.ReLU;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.Activation;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * Ready-made models for the study, the CLI and the benchmarks, each built from a seed so the
 * same call gives the same initial weights. All return logits (no final activation).
 */
public final class Models {
    private Models() {}

    /** Linear layers of the given sizes (e.g. 784, 1024, 1024, 10) with ReLU between them. */
    public static Sequential mlp(long seed, int... sizes) {
        if (sizes.length < 2) throw new IllegalArgumentException("Models.mlp: needs at least an input and an output size, got " + sizes.length);
        Rng rng = new Rng(seed);
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            if (i > 0) layers.add(new ReLU());
            layers.add(new Linear(sizes[i], sizes[i + 1], rng));
        }
        return new Sequential(layers);
    }

    /**
     * The benchmark CNN for {@code [N, channels, height, width]} images: two blocks of
     * conv3×3 (padding 1) + BatchNorm + ReLU + 2×2 max-pool, with {@code c1} and {@code c2}
     * channels, then Linear(→ hidden) + ReLU + Linear(→ classes).
     */
    public static Sequential cnn(long seed, int channels, int height, int width, int c1, int c2, int hidden, int classes) {
        Rng rng = new Rng(seed);
        int h = height / 2 / 2, w = width / 2 / 2;
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("Models.cnn: images of " + height + "x" + width + " are too small for two 2x2 pools");
        return new Sequential(
                new Conv2d(channels, c1, 3, 1, 1, rng), new BatchNorm2d(c1), new ReLU(), new MaxPool2d(2),
                new Conv2d(c1, c2, 3, 1, 1, rng), new BatchNorm2d(c2), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(c2 * h * w, hidden, rng), new ReLU(), new Linear(hidden, classes, rng));
    }

    /**
     * The CNN for 28×28 grey images and 10 classes, {@link #cnn(long, int, int, int, int, int, int, int)}
     * with conv 16, 32 and hidden 128: the one model of {@code train --model cnn}, {@code demo}
     * and {@code bench train} (its accuracy after 6 epochs, Proxima's and PyTorch's: docs/apo-study.md, claim 7).
     */
    public static Sequential cnn(long seed) {
        return cnn(seed, 1, 28, 28, 16, 32, 128, 10);
    }

    /**
     * A symmetric fully connected autoencoder: {@code sizes} = input, hidden..., code (e.g. 784,
     * 1000, 500, 250, 30, the deep autoencoder of Hinton and Salakhutdinov) gives an encoder
     * down to the code and a mirrored decoder back to the input size, ReLU between layers
     * except at the code and the output. The output is logits (pair with bceWithLogits for
     * pixels in [0, 1]).
     */
    public static Sequential autoencoder(long seed, int... sizes) {
        if (sizes.length < 2) throw new IllegalArgumentException("Models.autoencoder: needs an input and a code size, got " + sizes.length);
        Rng rng = new Rng(seed);
        List<Module> layers = new ArrayList<>();
        int k = sizes.length;
        for (int i = 0; i + 1 < k; i++) {
            layers.add(new Linear(sizes[i], sizes[i + 1], rng));
            if (i + 2 < k) layers.add(new ReLU());
        }
        for (int i = k - 1; i > 0; i--) {
            layers.add(new Linear(sizes[i], sizes[i - 1], rng));
            if (i > 1) layers.add(new ReLU());
        }
        return new Sequential(layers);
    }

    /** A small causal language model ({@link TransformerLM}), no dropout. */
    public static TransformerLM transformer(long seed, int vocab, int dModel, int heads, int layers, int dimFeedforward, int maxLen) {
        return new TransformerLM(vocab, dModel, heads, layers, dimFeedforward, maxLen, 0.0, new Rng(seed));
    }

    /** An encoder-decoder transformer ({@link Seq2SeqTransformer}) with {@code layers} of each, no dropout. */
    public static Seq2SeqTransformer seq2seq(long seed, int vocab, int dModel, int heads, int layers, int dimFeedforward, int maxLen) {
        return new Seq2SeqTransformer(vocab, dModel, heads, layers, dimFeedforward, maxLen, 0.0, new Rng(seed));
    }

    /** A Tanh MLP, for smooth problems (regression, second-order checks). */
    public static Sequential tanhMlp(long seed, int... sizes) {
        Rng rng = new Rng(seed);
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            if (i > 0) layers.add(Activation.tanh());
            layers.add(new Linear(sizes[i], sizes[i + 1], rng));
        }
        return new Sequential(layers);
    }
}
