package dev.proxima.examples;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.functional.Metrics;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Optimizer;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;

/**
 * A small MLP learns to tell three Gaussian blobs apart, through Proxima's public API only:
 * a Sequential model, cross-entropy, backward(), Adam through the Optimizer loop, and
 * Metrics.accuracy.
 * Exits with status 1 unless the loss fell and the points are classified.
 */
public final class TrainMlp {
    public static void main(String[] args) {
        Rng rng = new Rng(7);
        int perClass = 200, classes = 3, n = perClass * classes;
        double[][] centers = {{0, 2}, {-1.8, -1}, {1.8, -1}};
        float[] noise = Tensor.randn(rng, n, 2).toFloatArray();
        float[] points = new float[n * 2];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % classes;
            labels[i] = c;
            points[2 * i] = (float) (centers[c][0] + 0.6 * noise[2 * i]);
            points[2 * i + 1] = (float) (centers[c][1] + 0.6 * noise[2 * i + 1]);
        }
        Tensor x = Tensor.of(points, n, 2);
        Tensor y = Tensor.of(NDArray.of(labels, n));

        Sequential model = new Sequential(new Linear(2, 32, rng), Activation.relu(), new Linear(32, classes, rng));
        Optimizer opt = new Optimizer(Adam.builder().lr(0.02).build(), model);

        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step <= 200; step++) {
            opt.zeroGrad();
            Tensor loss = Losses.crossEntropy(model.forward(x), y);
            loss.backward();
            opt.step();
            last = loss.item();
            if (step == 0) first = last;
            if (step % 40 == 0) System.out.printf("step %3d  loss %.4f%n", step, last);
        }
        double accuracy = Metrics.accuracy(model.predict(x), y);
        System.out.printf("loss %.4f -> %.4f, training accuracy %.3f%n", first, last, accuracy);
        if (!(last < 0.5 * first) || accuracy < 0.9) {
            System.err.println("TrainMlp: training did not converge");
            System.exit(1);
        }
    }
}
