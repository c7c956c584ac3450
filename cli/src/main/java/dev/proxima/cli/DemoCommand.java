package dev.proxima.cli;

import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.train.Evaluation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code proxima demo}: the CNN on Fashion-MNIST ({@code train --model cnn}'s) with the fixed
 * learning rate a small grid selects against APO-LR, from the same seed and for the same
 * number of steps; a table and a plot of both. The grid's rate is selected on a validation
 * split taken from the training set (images 50,000 to 59,999, never trained on), never on the
 * test set, which is only reported; APO starts from the grid's smallest rate and learns its
 * own. The closing line states the measured test differences, one seed, without a verdict.
 */
@Command(name = "demo", sortOptions = false, description = "CNN on Fashion-MNIST: the fixed learning rate a small grid selects on a validation split "
        + "vs APO-LR, same seed and budget; a table and a PNG of both curves and APO's learning rate.")
final class DemoCommand implements Callable<Integer> {
    /** SGD with momentum 0.9 at these rates; APO-LR (over the same SGD) starts from the first. */
    static final double[] GRID = {0.01, 0.03, 0.1};
    /** Steps of each run: a few minutes on 2 cores in all; --long trains two epochs of the 50,000 training images (1,562 steps of 64). */
    static final int STEPS = 400;
    /** Training images from this index on are the validation split (never trained on); the ones before it train. */
    static final int VALIDATION_FROM = 50_000;
    /** The final loss is the mean training loss of this many last steps (one step is noisy). */
    static final int LAST = 20;

    @Option(names = "--long", description = "Train longer: two epochs of the 50,000 training images per run instead of " + STEPS + " steps.")
    boolean longer;

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs and demo.png go (default: runs/demo-TIME).")
    Path out;

    /** One run of the comparison; {@code validation} is (loss, accuracy) on the validation split. */
    record Run(String name, String lr, Trainer.Result result, double finalLoss, double[] validation) {}

    @Override
    public Integer call() throws Exception {
        run.check();
        TrainConfig.checkFashionMnist(run.dataDir);
        int steps = STEPS;
        Path dir = out != null ? out : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        System.out.printf(Locale.ROOT, "demo: CNN on Fashion-MNIST, %s of %d images per run, seed %d; SGD (momentum 0.9) at lr %s, then APO-LR from lr %s; "
                + "the fixed rate is selected on validation images %d-59999 (not trained on), the test set only reports%n",
                longer ? "two epochs" : steps + " steps", run.batch, run.seed, java.util.Arrays.toString(GRID), GRID[0], VALIDATION_FROM);

        Task evaluator = Task.of(config(TrainConfig.Optimizer.SGD, GRID[0], steps, dir.resolve("unused")));
        Dataset validation = validationSplit();
        List<Run> grid = new ArrayList<>();
        for (double lr : GRID) {
            String name = "sgd-lr" + lr;
            Trainer.Result r = Trainer.train(config(TrainConfig.Optimizer.SGD, lr, steps, dir.resolve(name)), System.out, "[sgd lr " + lr + "] ", 0);
            grid.add(new Run("SGD, lr " + lr, Double.toString(lr), r, finalLoss(r), validate(evaluator, r, validation)));
        }
        // The selection rule: the highest validation accuracy (ties: the lower validation loss).
        Run chosen = grid.get(0);
        for (Run r : grid)
            if (r.validation()[1] > chosen.validation()[1] || r.validation()[1] == chosen.validation()[1] && r.validation()[0] < chosen.validation()[0])
                chosen = r;
        Trainer.Result apo = Trainer.train(config(TrainConfig.Optimizer.APO_LR, GRID[0], steps, dir.resolve("apo-lr")), System.out, "[apo-lr] ", 0);
        double learned = Double.NaN;
        for (MetricsLog.Row row : apo.rows()) if (!Double.isNaN(row.lr())) learned = row.lr();
        Run apoRun = new Run("APO-LR", String.format(Locale.ROOT, "%.3g -> %.3g (learned)", GRID[0], learned), apo, finalLoss(apo),
                validate(evaluator, apo, validation));

        System.out.println();
        System.out.printf(Locale.ROOT, "%-16s %-22s %10s %14s %10s %11s %8s%n", "run", "learning rate", "val. acc.", "test accuracy", "test loss", "final loss", "time");
        for (Run r : grid) print(r, r == chosen ? " <- selected on validation" : "");
        print(apoRun, "");
        System.out.printf(Locale.ROOT, "%nAPO-LR minus SGD at lr %s (the grid's rate selected on validation), one seed: test accuracy %+.2f points (%.2f%% vs %.2f%%), "
                        + "test loss %+.4f (%.4f vs %.4f). The fixed rate took %d runs to select; APO-LR ran once, at its default lambda_FSD.%n",
                chosen.lr(), 100 * (apo.testMetric() - chosen.result().testMetric()), 100 * apo.testMetric(), 100 * chosen.result().testMetric(),
                apo.testLoss() - chosen.result().testLoss(), apo.testLoss(), chosen.result().testLoss(), GRID.length);
        // One seed decides nothing; say what the declared study measured, so that the one run
        // above is not read as the verdict (its claims and figures: docs/apo-study.md).
        System.out.println("The declared study (docs/apo-study.md; 4 tasks, 3 report seeds, every method tuned on equal terms) found APO-LR"
                + " no better than a tuned fixed rate on any task (matching on 2, worse on 2), worse than a tuned step or cosine decay"
                + " on all 4, and its lambda_FSD in need of tuning too (on this CNN the selection loss varied 2.4x over 0.3-30).");
        Run best = chosen;
        Path png = dir.resolve("demo.png");
        Plots.demo(png, best.name(), best.result().rows(), apo.rows());
        System.out.println("plot: " + png + " (training loss of both, APO's learning rate); runs under " + dir);
        return 0;
    }

    private TrainConfig config(TrainConfig.Optimizer optimizer, double lr, int steps, Path runDir) {
        // Default: `steps` batches over the first steps*batch training images (at least
        // 10,000); --long: two epochs of the first 50,000. The images from 50,000 on are the
        // validation split either way; the test set is all 10,000 test images.
        int limit = longer ? VALIDATION_FROM : Math.min(VALIDATION_FROM, Math.max(10_000, steps * run.batch));
        TrainConfig c = new TrainConfig("cnn", "fashion-mnist", optimizer, "sgd", lr, longer ? 2 : 1, run.batch, run.seed,
                longer ? 0 : steps, limit, run.device, run.threadsOrDefault(), runDir, null, run.dataDir);
        c.check();
        return c;
    }

    /**
     * (loss, accuracy) on the validation split, scored as the Trainer scores the test set: at
     * the run's final parameters with the BatchNorm statistics its training produced.
     */
    private static double[] validate(Task evaluator, Trainer.Result run, Dataset validation) {
        Evaluation.Result r = Evaluation.run(evaluator.objective(), run.params(), run.buffers(), validation, 500,
                evaluator::prepare, evaluator.accuracy());
        return new double[] {r.loss(), r.metric()};
    }

    /** Training images 50,000 to 59,999, standardized like the training data: never trained on. */
    private Dataset validationSplit() throws java.io.IOException {
        ArrayDataset all = FashionMnist.load(run.dataDir, true, FashionMnist.MEAN, FashionMnist.STD);
        int[] idx = new int[all.size() - VALIDATION_FROM];
        for (int i = 0; i < idx.length; i++) idx[i] = VALIDATION_FROM + i;
        Batch b = all.get(idx);
        return new ArrayDataset(b.x().data(), b.y().data());
    }

    private static double finalLoss(Trainer.Result r) {
        List<Double> losses = new ArrayList<>();
        for (MetricsLog.Row row : r.rows()) if (!Double.isNaN(row.trainLoss())) losses.add(row.trainLoss());
        double s = 0;
        int n = Math.min(LAST, losses.size());
        for (int i = losses.size() - n; i < losses.size(); i++) s += losses.get(i);
        return n == 0 ? Double.NaN : s / n;
    }

    private static void print(Run r, String note) {
        System.out.printf(Locale.ROOT, "%-16s %-22s %10.4f %14.4f %10.4f %11.4f %7.1fs%s%n", r.name(), r.lr(), r.validation()[1], r.result().testMetric(),
                r.result().testLoss(), r.finalLoss(), r.result().seconds(), note);
    }
}
