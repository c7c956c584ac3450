package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.nn.io.Checkpoint;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} in-process for a handful of steps: the run directory holds what it promises,
 * and a run resumed from its checkpoint (after an epoch, or stopped mid-epoch as Ctrl-C
 * would) ends with the same parameters, bit for bit, as the uninterrupted run.
 */
class TrainEndToEndTest {
    @TempDir
    Path tmp;

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private TrainConfig config(String model, String data, TrainConfig.Optimizer opt, int epochs, Path out, Path resume) {
        TrainConfig c = new TrainConfig(model, data, opt, "sgd", opt.defaultLr("sgd"), epochs, 16, 3, 4, 320, "cpu", 0, out, resume,
                TrainCommand.FASHION_MNIST);
        c.check();
        return c;
    }

    private TrainConfig config(TrainConfig.Optimizer opt, int workers, String transport, Path out, Path resume) {
        TrainConfig c = new TrainConfig("mlp", "fashion-mnist", opt, "sgd", opt.defaultLr("sgd"), 2, 16, 3, 4, 320, "cpu", 0,
                workers, transport, out, resume, TrainCommand.FASHION_MNIST);
        c.check();
        return c;
    }

    /** The largest difference between two parameter trees, over all elements. */
    private static double maxDifference(Params a, Params b) {
        assertEquals(List.copyOf(a.names()), List.copyOf(b.names()));
        double max = 0;
        for (String n : a.names()) {
            float[] x = a.get(n).toFloatArray(), y = b.get(n).toFloatArray();
            for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    private static void assertSameParams(Params want, Params got) {
        assertEquals(List.copyOf(want.names()), List.copyOf(got.names()));
        for (String n : want.names())
            assertArrayEquals(want.get(n).toFloatArray(), got.get(n).toFloatArray(), "parameter " + n + " differs after resuming");
    }

    /** The step rows of metrics.csv without the wall-clock column. */
    private static List<String> stepRows(List<MetricsLog.Row> rows) {
        return rows.stream().map(r -> r.step() + "," + r.epoch() + "," + r.trainLoss() + "," + r.lr() + "," + r.testLoss() + "," + r.testMetric()).toList();
    }

    @Test
    void fashionMnistRunDirectoryAndResume() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        Path full = tmp.resolve("full");
        // Through the command line, as a user runs it.
        int rc = Main.run("train", "--model", "mlp", "--optimizer", "adam", "--epochs", "2", "--batch", "16", "--seed", "3",
                "--steps", "4", "--limit", "320", "--out", full.toString());
        assertEquals(0, rc);
        for (String f : List.of("metrics.csv", "config.properties", "checkpoint.safetensors", "loss.png", "test-metric.png"))
            assertTrue(Files.isRegularFile(full.resolve(f)), "the run directory lacks " + f);
        List<MetricsLog.Row> rows = MetricsLog.read(full.resolve("metrics.csv"));
        assertEquals(8, rows.stream().filter(r -> !Double.isNaN(r.trainLoss())).count(), "one row per step");
        assertEquals(2, rows.stream().filter(r -> !Double.isNaN(r.testLoss())).count(), "one test row per epoch");
        for (MetricsLog.Row r : rows) if (!Double.isNaN(r.testMetric())) assertTrue(r.testMetric() >= 0 && r.testMetric() <= 1);
        for (String png : List.of("loss.png", "test-metric.png")) {
            BufferedImage image = ImageIO.read(full.resolve(png).toFile());
            assertNotNull(image, png + " does not decode");
            assertTrue(image.getWidth() > 100 && image.getHeight() > 100);
        }
        Checkpoint ck = Checkpoint.load(full.resolve("checkpoint.safetensors"));
        assertEquals("8", ck.metadata().get("step"));
        assertEquals("mlp", ck.metadata().get("config.model"));
        // model.safetensors: the model alone under its state_dict names, loadable strictly.
        var model = dev.proxima.nn.models.Models.mlp(99, 784, 256, 128, 10);
        var saved = dev.proxima.nn.io.Safetensors.read(full.resolve("model.safetensors"));
        assertEquals(model.stateDict().keySet(), saved.keySet());
        model.loadStateDict(saved);
        for (String n : model.params().names())
            assertArrayEquals(ck.tensors().get("param." + n).toFloatArray(), model.params().get(n).toFloatArray(), n);
        assertTrue(ck.tensors().keySet().stream().anyMatch(k -> k.startsWith("state.")), "no optimizer state in the checkpoint");

        // The same run again in-process (its parameters to compare), then split after epoch 1.
        Trainer.Result whole = Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, 2, tmp.resolve("whole"), null), QUIET, "", 0);
        Path split = tmp.resolve("split");
        Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, 1, split, null), QUIET, "", 0);
        Trainer.Result resumed = Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, 2, null,
                split.resolve("checkpoint.safetensors")), QUIET, "", 0);
        assertSameParams(whole.params(), resumed.params());
        assertEquals(stepRows(whole.rows()), stepRows(resumed.rows()));
        assertEquals(stepRows(MetricsLog.read(full.resolve("metrics.csv"))), stepRows(whole.rows()), "the CLI and in-process runs differ");
    }

    /**
     * A CNN run's model.safetensors holds the BatchNorm statistics APO's steps produced (a count
     * of one batch per step), the checkpoint's own, and evaluating it afresh gives the run's
     * logged test loss and accuracy: the run's evaluation read those statistics, re-estimated nothing.
     */
    @Test
    void cnnModelFileIsWhatTheRunEvaluated() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        Path dir = tmp.resolve("cnn");
        int rc = Main.run("train", "--model", "cnn", "--optimizer", "apo-lr", "--epochs", "1", "--batch", "16", "--seed", "3",
                "--steps", "4", "--limit", "320", "--out", dir.toString());
        assertEquals(0, rc);
        TrainConfig c = config("cnn", "fashion-mnist", TrainConfig.Optimizer.APO_LR, 1, null, null);
        Task task = Task.of(c);
        var saved = dev.proxima.nn.io.Safetensors.read(dir.resolve("model.safetensors"));
        assertEquals(List.copyOf(task.model.stateDict().keySet()), List.copyOf(saved.keySet()), "stateDict()'s keys, in order");
        task.model.loadStateDict(saved);
        Params buffers = task.model.buffers();
        assertEquals(4, (int) buffers.get("1.num_batches_tracked").item(), "one batch per APO step");
        assertEquals(4, (int) buffers.get("5.num_batches_tracked").item());
        Checkpoint ck = Checkpoint.load(dir.resolve("checkpoint.safetensors"));
        for (String n : buffers.names())
            assertArrayEquals(ck.tensors().get("buffer." + n).toDoubleArray(), buffers.get(n).toDoubleArray(), "checkpoint buffer " + n);
        double moved = 0;
        for (float v : buffers.get("1.running_mean").toFloatArray()) moved = Math.max(moved, Math.abs(v));
        assertTrue(moved > 0, "the running mean never moved");
        dev.proxima.train.Evaluation.Result fresh = dev.proxima.train.Evaluation.run(task.objective(), task.model.params(), buffers,
                task.test, 500, task::prepare, task.accuracy());
        MetricsLog.Row last = null;
        for (MetricsLog.Row r : MetricsLog.read(dir.resolve("metrics.csv"))) if (!Double.isNaN(r.testLoss())) last = r;
        assertNotNull(last, "no test row in metrics.csv");
        assertEquals(last.testLoss(), fresh.loss(), 1e-6, "test loss of the saved model vs the run's");
        assertEquals(last.testMetric(), fresh.metric(), "test accuracy of the saved model vs the run's");
    }

    @Test
    void kfacResumedMidEpochEqualsUninterrupted() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        // KFAC's state holds a map of Kronecker factors per layer: it must survive the checkpoint too.
        Trainer.Result whole = Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.KFAC, 1, tmp.resolve("whole"), null), QUIET, "", 0);
        Path cut = tmp.resolve("cut");
        Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.KFAC, 1, cut, null), QUIET, "", 2);
        Trainer.Result resumed = Trainer.train(config("mlp", "fashion-mnist", TrainConfig.Optimizer.KFAC, 1, null,
                cut.resolve("checkpoint.safetensors")), QUIET, "", 0);
        assertSameParams(whole.params(), resumed.params());
        assertTrue(Checkpoint.load(cut.resolve("checkpoint.safetensors")).metadata().keySet().stream().anyMatch(k -> k.startsWith("state.factors")),
                "the checkpoint lacks KFAC's factors");
    }

    @Test
    void apoResumedMidEpochEqualsUninterrupted() throws Exception {
        // The synthetic copy task needs no installed data set.
        Trainer.Result whole = Trainer.train(config("transformer", "copy", TrainConfig.Optimizer.APO_LR, 2, tmp.resolve("whole"), null), QUIET, "", 0);
        Path cut = tmp.resolve("cut");
        Trainer.Result stopped = Trainer.train(config("transformer", "copy", TrainConfig.Optimizer.APO_LR, 2, cut, null), QUIET, "", 3);
        assertEquals(3, stopped.steps());
        assertEquals("3", Checkpoint.load(cut.resolve("checkpoint.safetensors")).metadata().get("step"));
        Trainer.Result resumed = Trainer.train(config("transformer", "copy", TrainConfig.Optimizer.APO_LR, 2, null,
                cut.resolve("checkpoint.safetensors")), QUIET, "", 0);
        assertEquals(8, resumed.steps());
        assertSameParams(whole.params(), resumed.params());
        assertEquals(stepRows(whole.rows()), stepRows(resumed.rows()));
        assertTrue(Files.isRegularFile(cut.resolve("lr.png")), "an APO run plots its learning rate");
    }

    /**
     * {@code --workers 2} splits each global batch of 16 into two shards of 8 and averages
     * their gradients: the same gradient as one worker's on all 16, summed in another order,
     * so the parameters agree to float tolerance; rerunning repeats the bits, and the TCP
     * ring sums in the thread group's order, so it gives the same bits too.
     */
    @Test
    void twoWorkersTrainAsOneOnTheSameGlobalBatch() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        for (TrainConfig.Optimizer opt : List.of(TrainConfig.Optimizer.SGD, TrainConfig.Optimizer.ADAM)) {
            Trainer.Result one = Trainer.train(config(opt, 1, "thread", tmp.resolve(opt + "-one"), null), QUIET, "", 0);
            Trainer.Result two = Trainer.train(config(opt, 2, "thread", tmp.resolve(opt + "-two"), null), QUIET, "", 0);
            assertEquals(8, two.steps());
            double moved = maxDifference(one.params(), Trainer.train(config(opt, 1, "thread", tmp.resolve(opt + "-zero"), null), QUIET, "", 1).params());
            double diff = maxDifference(one.params(), two.params());
            assertTrue(moved > 1e-4, opt + ": training barely moved the parameters (" + moved + "), the comparison would be empty");
            assertTrue(diff < 1e-5, opt + ": 2 workers end " + diff + " away from 1 worker");
            // Measured 1.5e-8 (sgd) and 5.6e-7 (adam): the shards' sums round differently, so
            // identical bits would mean the run never split the batch.
            assertTrue(diff > 0, opt + ": 2 workers gave one worker's bits; was the batch split at all?");
            List<MetricsLog.Row> a = one.rows(), b = two.rows();
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                if (!Double.isNaN(a.get(i).trainLoss()))
                    assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss(), 1e-5, opt + ": train loss of row " + i);
                if (!Double.isNaN(a.get(i).testLoss()))
                    assertEquals(a.get(i).testLoss(), b.get(i).testLoss(), 1e-4, opt + ": test loss of row " + i);
            }
            Trainer.Result again = Trainer.train(config(opt, 2, "thread", tmp.resolve(opt + "-again"), null), QUIET, "", 0);
            assertSameParams(two.params(), again.params());
            assertEquals(stepRows(two.rows()), stepRows(again.rows()));
        }
        Trainer.Result thread = Trainer.train(config(TrainConfig.Optimizer.RMSPROP, 2, "thread", tmp.resolve("thread"), null), QUIET, "", 0);
        Trainer.Result ring = Trainer.train(config(TrainConfig.Optimizer.RMSPROP, 2, "ring", tmp.resolve("ring"), null), QUIET, "", 0);
        assertSameParams(thread.params(), ring.params());
    }

    /**
     * Through the command line: the run directory and checkpoint of a 2-worker run are a
     * one-worker run's, and a run stopped mid-epoch resumes (on the checkpoint's 2 workers)
     * to the uninterrupted run's bits.
     */
    @Test
    void twoWorkersRunDirectoryAndResume() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        Path full = tmp.resolve("full");
        int rc = Main.run("train", "--model", "mlp", "--optimizer", "adam", "--epochs", "2", "--batch", "16", "--seed", "3",
                "--steps", "4", "--limit", "320", "--workers", "2", "--out", full.toString());
        assertEquals(0, rc);
        for (String f : List.of("metrics.csv", "config.properties", "checkpoint.safetensors", "loss.png", "test-metric.png"))
            assertTrue(Files.isRegularFile(full.resolve(f)), "the run directory lacks " + f);
        assertTrue(Files.readString(full.resolve("config.properties")).contains("workers=2"));
        Checkpoint ck = Checkpoint.load(full.resolve("checkpoint.safetensors"));
        assertEquals("8", ck.metadata().get("step"));
        assertEquals("2", ck.metadata().get("config.workers"));
        Path oneWorker = tmp.resolve("one");
        Trainer.train(config(TrainConfig.Optimizer.ADAM, 1, "thread", oneWorker, null), QUIET, "", 0);
        assertEquals(Checkpoint.load(oneWorker.resolve("checkpoint.safetensors")).tensors().keySet(), ck.tensors().keySet(),
                "the checkpoint holds what a one-worker run's holds");

        Path cut = tmp.resolve("cut");
        Trainer.train(config(TrainConfig.Optimizer.ADAM, 2, "thread", cut, null), QUIET, "", 3);
        TrainConfig resume = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, "sgd", 1e-3, 2, 16, 3, 4, 320, "cpu", 0,
                0, null, null, cut.resolve("checkpoint.safetensors"), TrainCommand.FASHION_MNIST); // workers: the checkpoint's
        Trainer.Result resumed = Trainer.train(resume, QUIET, "", 0);
        assertSameParams(Trainer.train(config(TrainConfig.Optimizer.ADAM, 2, "thread", tmp.resolve("whole"), null), QUIET, "", 0).params(),
                resumed.params());
        assertEquals(stepRows(MetricsLog.read(full.resolve("metrics.csv"))), stepRows(resumed.rows()), "the CLI and in-process runs differ");
    }

    /**
     * apo-lr on 2 workers: each step splits B and B' into two shards of 8, the base gradient
     * and (at steps 0 and 10 of 12) the meta-gradient are averaged, so the parameters and the
     * learned rate agree with one worker's to float tolerance; reruns repeat the bits, and a
     * 2-worker run stopped at step 5 resumes through the meta-step at 10 to the uninterrupted
     * run's bits.
     */
    @Test
    void apoOnTwoWorkersTrainsAsOneAndResumes() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        TrainConfig.Optimizer apo = TrainConfig.Optimizer.APO_LR;
        java.util.function.BiFunction<Integer, Path, TrainConfig> apoConfig = (workers, out) -> {
            TrainConfig c = new TrainConfig("mlp", "fashion-mnist", apo, "sgd", apo.defaultLr("sgd"), 3, 16, 3, 4, 320, "cpu", 0,
                    workers, "thread", out, null, TrainCommand.FASHION_MNIST);
            c.check();
            return c;
        };
        Trainer.Result one = Trainer.train(apoConfig.apply(1, tmp.resolve("one")), QUIET, "", 0);
        Trainer.Result two = Trainer.train(apoConfig.apply(2, tmp.resolve("two")), QUIET, "", 0);
        assertEquals(12, two.steps());
        double diff = maxDifference(one.params(), two.params());
        assertTrue(diff < 1e-5, "apo-lr: 2 workers end " + diff + " away from 1 worker");
        // Measured 3.7e-8, the learned rate 0.0553 after step 0 and 0.0527 after step 10 on both.
        assertTrue(diff > 0, "apo-lr: 2 workers gave one worker's bits; was the batch split at all?");
        List<MetricsLog.Row> a = one.rows(), b = two.rows();
        assertEquals(a.size(), b.size());
        double lastLr = Double.NaN;
        for (int i = 0; i < a.size(); i++) {
            if (!Double.isNaN(a.get(i).trainLoss()))
                assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss(), 1e-5, "apo-lr: train loss of row " + i);
            if (!Double.isNaN(a.get(i).lr())) {
                assertEquals(a.get(i).lr(), b.get(i).lr(), 1e-6 * a.get(i).lr(), "apo-lr: learned rate of row " + i);
                lastLr = b.get(i).lr();
            }
        }
        assertTrue(Math.abs(lastLr - apo.defaultLr("sgd")) > 1e-6, "the rate never moved from " + lastLr + ": no meta-step was compared");
        assertTrue(Files.isRegularFile(tmp.resolve("two").resolve("lr.png")), "a 2-worker APO run plots its learning rate");
        assertEquals(Checkpoint.load(tmp.resolve("one").resolve("checkpoint.safetensors")).tensors().keySet(),
                Checkpoint.load(tmp.resolve("two").resolve("checkpoint.safetensors")).tensors().keySet(),
                "the checkpoint holds what a one-worker APO run's holds");

        Trainer.Result again = Trainer.train(apoConfig.apply(2, tmp.resolve("again")), QUIET, "", 0);
        assertSameParams(two.params(), again.params());
        assertEquals(stepRows(two.rows()), stepRows(again.rows()));

        Path cut = tmp.resolve("cut");
        assertEquals(5, Trainer.train(apoConfig.apply(2, cut), QUIET, "", 5).steps());
        TrainConfig resume = new TrainConfig("mlp", "fashion-mnist", apo, "sgd", apo.defaultLr("sgd"), 3, 16, 3, 4, 320, "cpu", 0,
                0, null, null, cut.resolve("checkpoint.safetensors"), TrainCommand.FASHION_MNIST); // workers: the checkpoint's
        Trainer.Result resumed = Trainer.train(resume, QUIET, "", 0);
        assertEquals(12, resumed.steps());
        assertSameParams(two.params(), resumed.params());
        assertEquals(stepRows(two.rows()), stepRows(resumed.rows()));
    }
}
