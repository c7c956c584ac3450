package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run directory holds besides the checkpoint: metrics numbered as the console counts, plots. */
class RunDirectoryTest {
    @TempDir
    Path tmp;

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    private static void assumeFashionMnist() {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
    }

    private static TrainConfig mlp(int epochs, int steps, Path out) {
        TrainConfig c = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, "sgd", 1e-3, epochs, 16, 3, steps, 320, "cpu", 0,
                out, null, TrainCommand.FASHION_MNIST);
        c.check();
        return c;
    }

    @Test
    void metricsCountEpochsFromOneAsTheConsoleDoes() throws Exception {
        assumeFashionMnist();
        Trainer.Result r = Trainer.train(mlp(2, 3, tmp.resolve("run")), QUIET, "", 0);
        List<Integer> epochs = r.rows().stream().map(MetricsLog.Row::epoch).distinct().toList();
        assertEquals(List.of(1, 2), epochs);
        assertTrue(Files.readAllLines(tmp.resolve("run").resolve("metrics.csv")).get(1).startsWith("1,1,"));
    }

    /** One epoch: the test metrics after each fifth of it, not one point; the plot shows them. */
    @Test
    void aOneEpochRunIsTestedDuringTheEpoch() throws Exception {
        assumeFashionMnist();
        Path run = tmp.resolve("one");
        Trainer.Result r = Trainer.train(mlp(1, 10, run), QUIET, "", 0);
        List<Long> tested = r.rows().stream().filter(x -> !Double.isNaN(x.testMetric())).map(MetricsLog.Row::step).toList();
        assertEquals(List.of(2L, 4L, 6L, 8L, 10L), tested);
        PlotsTest.assertDrawn(run.resolve("test-metric.png"), 900, 540);
        // The demo's labelled runs keep their budget; several epochs test at each epoch's end.
        assertTrue(!Trainer.sampleDuringEpoch(mlp(1, 10, null), "run 1: ", 10, 1));
        assertTrue(!Trainer.sampleDuringEpoch(mlp(2, 10, null), "", 10, 1));
        // Evaluating changed no parameter.
        Trainer.Result plain = Trainer.train(mlp(1, 10, tmp.resolve("plain")), QUIET, "labelled: ", 0);
        for (String n : r.params().names())
            org.junit.jupiter.api.Assertions.assertArrayEquals(plain.params().get(n).toFloatArray(), r.params().get(n).toFloatArray(), n);
    }

    /** Stopped as Ctrl-C stops it: the plots of the steps so far are written with the checkpoint. */
    @Test
    void anInterruptedRunWritesItsPlots() throws Exception {
        assumeFashionMnist();
        Path cut = tmp.resolve("cut");
        Trainer.train(mlp(1, 10, cut), QUIET, "", 3);
        assertTrue(Files.isRegularFile(cut.resolve("checkpoint.safetensors")));
        PlotsTest.assertDrawn(cut.resolve("loss.png"), 900, 540);
    }
}
