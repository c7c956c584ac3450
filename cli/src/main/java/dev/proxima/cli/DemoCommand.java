package dev.proxima.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code proxima demo}: the CNN on Fashion-MNIST with the best fixed learning rate of a small
 * grid against APO-LR, from the same seed and for the same number of steps; a table and a
 * plot of both. The grid's best rate is chosen on the training loss (the test set is only
 * reported), and APO starts from the grid's smallest rate and learns its own.
 */
@Command(name = "demo", sortOptions = false, description = "CNN on Fashion-MNIST: the best fixed learning rate of a small grid vs APO-LR, "
        + "same seed and budget; a table and a PNG of both curves and APO's learning rate.")
final class DemoCommand implements Callable<Integer> {
    /** SGD with momentum 0.9 at these rates; APO-LR (over the same SGD) starts from the first. */
    static final double[] GRID = {0.01, 0.03, 0.1};
    /** Steps of each run: a few minutes on 2 cores in all; --long trains two epochs (1,874 steps of 64). */
    static final int STEPS = 400;
    /** The final loss is the mean training loss of this many last steps (one step is noisy). */
    static final int LAST = 20;

    @Option(names = "--long", description = "Train longer: two epochs per run instead of " + STEPS + " steps.")
    boolean longer;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every run (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--batch", paramLabel = "N", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs and demo.png go (default: runs/demo-TIME).")
    Path out;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the Fashion-MNIST IDX files are (default: /usr/share/datasets/fashion-mnist).")
    Path dataDir = TrainCommand.FASHION_MNIST;

    @Option(names = "--device", paramLabel = "SPEC", converter = DeviceSpec.class, description = "cpu (default), opencl or opencl:N.")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads for the kernels (default: all processors).")
    Integer threads;

    /** One run of the comparison. */
    record Run(String name, String lr, Trainer.Result result, double finalLoss) {}

    @Override
    public Integer call() throws Exception {
        if (batch < 1) throw new Main.UserError("--batch " + batch + ": expected a positive integer");
        if (threads != null && threads < 1) throw new Main.UserError("--threads " + threads + ": expected a positive integer");
        TrainConfig.checkFashionMnist(dataDir);
        int steps = STEPS;
        Path dir = out != null ? out : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        System.out.printf(Locale.ROOT, "demo: CNN on Fashion-MNIST, %s of %d images per run, seed %d; SGD (momentum 0.9) at lr %s, then APO-LR from lr %s%n",
                longer ? "two epochs" : steps + " steps", batch, seed, java.util.Arrays.toString(GRID), GRID[0]);

        List<Run> grid = new ArrayList<>();
        for (double lr : GRID) {
            String name = "sgd-lr" + lr;
            Trainer.Result r = Trainer.train(config(TrainConfig.Optimizer.SGD, lr, steps, dir.resolve(name)), System.out, "[sgd lr " + lr + "] ", 0);
            grid.add(new Run("SGD, lr " + lr, Double.toString(lr), r, finalLoss(r)));
        }
        Run best = grid.get(0);
        for (Run r : grid) if (r.finalLoss() < best.finalLoss()) best = r;
        Trainer.Result apo = Trainer.train(config(TrainConfig.Optimizer.APO_LR, GRID[0], steps, dir.resolve("apo-lr")), System.out, "[apo-lr] ", 0);
        double learned = Double.NaN;
        for (MetricsLog.Row row : apo.rows()) if (!Double.isNaN(row.lr())) learned = row.lr();
        Run apoRun = new Run("APO-LR", String.format(Locale.ROOT, "%.3g -> %.3g (learned)", GRID[0], learned), apo, finalLoss(apo));

        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %-26s %14s %11s %9s%n", "run", "learning rate", "test accuracy", "final loss", "time");
        for (Run r : grid) print(r, r == best ? " <- best fixed" : "");
        print(apoRun, "");
        double diff = apo.testMetric() - best.result().testMetric();
        System.out.printf(Locale.ROOT, "%nAPO-LR vs the best fixed rate (%s): test accuracy %+.2f points, final loss %.4f vs %.4f, with no grid to search.%n",
                best.lr(), 100 * diff, apoRun.finalLoss(), best.finalLoss());
        // The best rate is picked on training loss, so the test set stays for reporting; say
        // also how APO fares against the grid's best test accuracy, the baseline's best case.
        Run bestOnTest = grid.get(0);
        for (Run r : grid) if (r.result().testMetric() > bestOnTest.result().testMetric()) bestOnTest = r;
        if (bestOnTest != best)
            System.out.printf(Locale.ROOT, "(Against the grid's best test accuracy, %.4f at lr %s, APO-LR is %+.2f points.)%n",
                    bestOnTest.result().testMetric(), bestOnTest.lr(), 100 * (apo.testMetric() - bestOnTest.result().testMetric()));
        Path png = dir.resolve("demo.png");
        Plots.demo(png, best.name(), best.result().rows(), apo.rows());
        System.out.println("plot: " + png + " (training loss of both, APO's learning rate); runs under " + dir);
        return 0;
    }

    private TrainConfig config(TrainConfig.Optimizer optimizer, double lr, int steps, Path runDir) {
        // Default: one epoch of `steps` batches over the first steps*batch training images;
        // --long: two whole epochs. The test set is all 10,000 images either way.
        int limit = longer ? 0 : Math.max(10_000, steps * batch);
        TrainConfig c = new TrainConfig("cnn", "fashion-mnist", optimizer, "sgd", lr, longer ? 2 : 1, batch, seed,
                longer ? 0 : steps, limit, device, threads == null ? 0 : threads, runDir, null, dataDir);
        c.check();
        return c;
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
        System.out.printf(Locale.ROOT, "%-22s %-26s %14.4f %11.4f %8.1fs%s%n", r.name(), r.lr(), r.result().testMetric(), r.finalLoss(),
                r.result().seconds(), note);
    }
}
