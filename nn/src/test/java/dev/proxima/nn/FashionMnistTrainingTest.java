package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training that can fail: real Fashion-MNIST, SGD with momentum written inline in Tensor ops
 * (optim is another module). Skipped, visibly, when the dataset is not installed.
 */
class FashionMnistTrainingTest {
    private static Dataset train, test;

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Files.exists(FashionMnist.DEFAULT_DIR.resolve("t10k-labels-idx1-ubyte.gz"))
                        || Files.exists(FashionMnist.DEFAULT_DIR.resolve("t10k-labels-idx1-ubyte")),
                "Fashion-MNIST is not installed under " + FashionMnist.DEFAULT_DIR + " (Debian package dataset-fashion-mnist)");
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, true, FashionMnist.MEAN, FashionMnist.STD);
        test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false, FashionMnist.MEAN, FashionMnist.STD);
    }

    /** One epoch of SGD (lr, momentum 0.9) over the loader; returns nothing, the module holds the result. */
    static void sgdEpoch(Module model, DataLoader loader, double lr, boolean flatten) {
        Params velocity = model.params().map(t -> Tensor.zeros(t.dtype(), t.shape()));
        for (Batch b : loader) {
            Tensor x = flatten ? b.x().reshape(b.size(), -1) : b.x();
            Tensor loss = Losses.crossEntropy(model.forward(x), b.y());
            Params g = Autograd.grad(loss, model.params());
            try (var ignored = Autograd.noGrad()) {
                velocity = velocity.scale(0.9).add(g);
                Params v = velocity;
                model.setParams(model.params().zip(v, (p, vi) -> p.sub(vi.mul(lr))).requiresGrad());
            }
        }
    }

    static double accuracy(Module model, Dataset data, int n, boolean flatten) {
        model.eval();
        int correct = 0;
        try (var ignored = Autograd.noGrad()) {
            for (Batch b : DataLoader.of(data.subset(n), 500)) {
                Tensor x = flatten ? b.x().reshape(b.size(), -1) : b.x();
                int[] pred = model.forward(x).argmax(1, false).data().toIntArray(), y = b.y().data().toIntArray();
                for (int i = 0; i < y.length; i++) if (pred[i] == y[i]) correct++;
            }
        }
        model.train(true);
        return correct / (double) n;
    }

    @Test
    void mlpReaches84PercentAfterOneEpoch() {
        Module mlp = Models.mlp(1, 784, 256, 10);
        sgdEpoch(mlp, DataLoader.of(train, 128).shuffle(7), 0.02, true);
        double acc = accuracy(mlp, test, test.size(), true);
        System.out.printf("Fashion-MNIST MLP 784-256-10, one epoch of SGD+momentum: test accuracy %.4f%n", acc);
        assertTrue(acc >= 0.84, "test accuracy " + acc + " < 0.84");
    }

    @Test
    void smallCnnLearnsA5000ImageSubsetWellAboveChance() {
        Module cnn = Models.cnn(2, 1, 28, 28, 8, 16, 32, 10);
        sgdEpoch(cnn, DataLoader.of(train.subset(5000), 50).shuffle(3), 0.02, false);
        double acc = accuracy(cnn, test, 2000, false);
        System.out.printf("Fashion-MNIST small CNN, one epoch over 5,000 images: test accuracy on 2,000 %.4f%n", acc);
        assertTrue(acc >= 0.60, "test accuracy " + acc + " is not well above chance (0.1); expected >= 0.60");
    }
}
