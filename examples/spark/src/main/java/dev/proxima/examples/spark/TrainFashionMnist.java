package dev.proxima.examples.spark;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.Adam;
import dev.proxima.spark.SparkTrainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark job: the CNN of {@code Models.cnn} learns Fashion-MNIST with {@link SparkTrainer}
 * (each epoch one barrier stage, the gradients averaged over a TCP ring between the executors).
 * Start it with spark-submit (the master comes from {@code --master}), or from plain java with
 * {@code -Dspark.master=...} as {@code run-local-cluster.sh} does.
 *
 * <pre>
 * TrainFashionMnist [--examples N] [--epochs E] [--workers W] [--batch B] [--lr R]
 *                   [--data DIR] [--bind HOST] [--checkpoint FILE]
 * </pre>
 *
 * The driver reads the data (only the driver needs the files) and ships the rows to the
 * executors. Afterwards it re-estimates BatchNorm's running statistics at the trained
 * weights, reports the loss on the training rows before and after and the accuracy on test
 * images, and exits with status 1 if the loss did not fall.
 */
public final class TrainFashionMnist {
    private static final int PIXELS = FashionMnist.HEIGHT * FashionMnist.WIDTH, CLASSES = FashionMnist.CLASSES;

    /**
     * The CNN's loss, shipped to the executors: only the seed travels, each executor builds the
     * module (the architecture; the parameters come from the trainer) once per task.
     */
    static final class CnnLoss implements SparkTrainer.Loss {
        private transient Module model;

        Module model() {
            if (model == null) model = Models.cnn(0);
            return model;
        }

        /** Mean cross-entropy of logits against one-hot rows: x [n, 784] as [n, 1, 28, 28]. */
        @Override
        public Tensor apply(Params p, Tensor x, Tensor onehot) {
            int n = x.shape()[0];
            Tensor logits = model().apply(p, x.reshape(n, 1, FashionMnist.HEIGHT, FashionMnist.WIDTH));
            return onehot.mul(logits.logSoftmax(1)).sum().neg().div((double) n);
        }
    }

    public static void main(String[] args) throws Exception {
        int examples = 512, epochs = 1, workers = 2, batch = 32;
        double lr = 2e-3;
        Path data = FashionMnist.DEFAULT_DIR, checkpoint = null;
        String bind = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--examples" -> examples = Integer.parseInt(v);
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--workers" -> workers = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--lr" -> lr = Double.parseDouble(v);
                case "--data" -> data = Path.of(v);
                case "--bind" -> bind = v;
                case "--checkpoint" -> checkpoint = Path.of(v);
                default -> throw new IllegalArgumentException("TrainFashionMnist: unknown argument '" + args[i]
                        + "' (--examples N --epochs E --workers W --batch B --lr R --data DIR --bind HOST --checkpoint FILE)");
            }
            i++;
        }
        ArrayDataset train = FashionMnist.load(data, true, FashionMnist.MEAN, FashionMnist.STD);
        ArrayDataset test = FashionMnist.load(data, false, FashionMnist.MEAN, FashionMnist.STD);
        examples = Math.min(examples, train.size());
        Batch rows = train.get(range(examples));
        List<SparkTrainer.Example> list = new ArrayList<>();
        float[] x = rows.x().toFloatArray();
        int[] labels = rows.y().data().toIntArray();
        for (int i = 0; i < examples; i++) {
            float[] onehot = new float[CLASSES];
            onehot[labels[i]] = 1;
            list.add(new SparkTrainer.Example(java.util.Arrays.copyOfRange(x, i * PIXELS, (i + 1) * PIXELS), onehot));
        }

        CnnLoss loss = new CnnLoss();
        Params initial = loss.model().params();
        SparkConf conf = new SparkConf().setAppName("proxima-fashion-mnist-cnn")
                // Spark's serialization debugger needs sun.security.action, which JDK 25 lacks.
                .set("spark.serializer.extraDebugInfo", "false");
        Params trained;
        long t0 = System.nanoTime();
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            JavaRDD<SparkTrainer.Example> rdd = sc.parallelize(list, workers);
            SparkTrainer.Config config = new SparkTrainer.Config(workers, epochs, batch, 2, Duration.ofMinutes(2), bind, checkpoint);
            double rate = lr;
            trained = SparkTrainer.train(rdd, initial, loss, () -> Adam.builder().lr(rate).build(), config);
            System.out.printf("trained %d examples x %d epochs on %s, %d workers x %d rows a step, in %.1f s%n",
                    examples, epochs, sc.master(), workers, batch, (System.nanoTime() - t0) / 1e9);
        }

        Module model = loss.model();
        double before = meanLoss(loss, initial, rows), after = meanLoss(loss, trained, rows);
        calibrateBatchNorm(model, trained, rows);
        model.setParams(trained);
        model.eval();
        int n = Math.min(1000, test.size());
        Batch t = test.get(range(n));
        double accuracy;
        try (var off = Autograd.noGrad()) {
            int[] predicted = model.forward(t.x()).argmax(1, false).data().toIntArray(), truth = t.y().data().toIntArray();
            int correct = 0;
            for (int i = 0; i < n; i++) if (predicted[i] == truth[i]) correct++;
            accuracy = correct / (double) n;
        }
        System.out.printf("training loss %.4f -> %.4f; accuracy on %d test images %.3f%n", before, after, n, accuracy);
        if (!(after < before)) {
            System.err.println("TrainFashionMnist: the training loss did not fall");
            System.exit(1);
        }
    }

    static int[] range(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return idx;
    }

    /** Mean loss over the rows, in batches of 128, in training mode (batch statistics, as trained). */
    static double meanLoss(CnnLoss loss, Params p, Batch rows) {
        int n = rows.x().shape()[0];
        float[] x = rows.x().toFloatArray();
        int[] labels = rows.y().data().toIntArray();
        double sum = 0;
        try (var off = Autograd.noGrad()) {
            for (int lo = 0; lo < n; lo += 128) {
                int hi = Math.min(n, lo + 128);
                float[] onehot = new float[(hi - lo) * CLASSES];
                for (int i = lo; i < hi; i++) onehot[(i - lo) * CLASSES + labels[i]] = 1;
                Tensor xs = Tensor.of(java.util.Arrays.copyOfRange(x, lo * PIXELS, hi * PIXELS), hi - lo, PIXELS);
                sum += loss.apply(p, xs, Tensor.of(onehot, hi - lo, CLASSES)).item() * (hi - lo);
            }
        }
        return sum / n;
    }

    /**
     * Training calls the model functionally, which leaves BatchNorm's running statistics alone,
     * so they are estimated here at the trained weights from the training rows (as "precise
     * BatchNorm" does) before the model is evaluated.
     */
    static void calibrateBatchNorm(Module model, Params p, Batch rows) {
        Params buffers = model.buffers();
        int n = rows.x().shape()[0];
        float[] x = rows.x().toFloatArray();
        model.train(true);
        try (var off = Autograd.noGrad()) {
            for (int pass = 0; pass < 4; pass++)
                for (int lo = 0; lo < n; lo += 128) {
                    int hi = Math.min(n, lo + 128);
                    Tensor xs = Tensor.of(java.util.Arrays.copyOfRange(x, lo * PIXELS, hi * PIXELS), hi - lo, 1, FashionMnist.HEIGHT, FashionMnist.WIDTH);
                    buffers = model.applyWithBuffers(p, buffers, xs).buffers();
                }
        }
        model.setBuffers(buffers);
    }
}
