package dev.proxima.cli;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.io.Checkpoint;
import dev.proxima.tensor.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one training job described by a {@link TrainConfig} and keeps its run directory:
 * metrics.csv, PNG plots, config.properties, and checkpoint.safetensors.
 *
 * <p>Every source of randomness is a function of the seed and the position in the run: the
 * initial weights of the seed, the order of epoch {@code e} of (seed, e) (DataLoader), APO's
 * second batch of the position in that order. A checkpoint therefore needs only the
 * parameters, the optimizer's state and the position (epoch, batch, step) to continue exactly
 * as the uninterrupted run would: resuming gives the same parameters bit for bit.
 *
 * <p>A checkpoint is written atomically after every epoch and, when the JVM is stopped
 * (Ctrl-C), from the last completed step by a shutdown hook; metrics.csv is flushed row by
 * row. A resumed run drops the rows logged after its checkpoint.
 */
final class Trainer {
    static final String CHECKPOINT = "checkpoint.safetensors", METRICS = "metrics.csv", CONFIG = "config.properties";
    /** Batches used to re-estimate BatchNorm statistics before an evaluation. */
    private static final int CALIBRATION_BATCHES = 20;
    private static final int EVAL_BATCH = 500;

    /** What a finished (or stopped) run reports. */
    record Result(Path dir, double testLoss, double testMetric, String metricName, double finalTrainLoss, double seconds,
                  long steps, List<MetricsLog.Row> rows, Params params) {}

    /** A consistent point of the run, taken after each step, for the Ctrl-C checkpoint. */
    private record Snapshot(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    private Trainer() {}

    /** The command's entry: train, then print the test metrics and where the run went. */
    static boolean run(TrainConfig c, PrintStream out) throws Exception {
        Result r = train(c, out, "", 0);
        out.printf(Locale.ROOT, "test: loss %.4f%s after %d steps, %.1f s%n", r.testLoss(),
                r.metricName() == null ? "" : String.format(Locale.ROOT, ", %s %.4f", r.metricName(), r.testMetric()), r.steps(), r.seconds());
        out.println("run directory: " + r.dir() + " (" + METRICS + ", plots, " + CONFIG + ", " + CHECKPOINT + ")");
        return true;
    }

    /**
     * Trains; {@code label} prefixes progress lines (the demo names its runs). {@code stopAfter}
     * &gt; 0 stops after that many steps as Ctrl-C would (tests of the interrupted checkpoint).
     */
    static Result train(TrainConfig config, PrintStream out, String label, long stopAfter) throws Exception {
        if (config.threads() > 0) System.setProperty("proxima.threads", Integer.toString(config.threads()));
        Device device = Device.parse(config.device());
        device.backend(); // fails now, with the devices found, rather than at the first batch

        Checkpoint resumed = config.resume() == null ? null : Checkpoint.load(config.resume());
        TrainConfig c = resumed == null ? config : config.withDefining(prefixed(resumed.metadata(), "config."));
        c.checkWorkers(); // a resumed run's optimizer comes from its checkpoint
        Path dir = c.out() != null ? c.out() : c.resume() != null ? c.resume().toAbsolutePath().getParent()
                : Path.of("runs", c.model() + "-" + c.optimizer() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));

        Task task = Task.of(c);
        // Training mode throughout (an evaluation switches to eval mode and back): a layer
        // that computes differently in the two modes must not depend on whether a run resumed.
        task.model.train(true);
        task.device = device;
        if (!device.kind().equals("cpu")) task.model.to(device);
        try (Learner learner = Learner.of(c, task)) {
            return train(c, task, learner, resumed, dir, device, out, label, stopAfter);
        }
    }

    /** The loop of {@link #train(TrainConfig, PrintStream, String, long)}: the run directory is written from here on. */
    private static Result train(TrainConfig c, Task task, Learner learner, Checkpoint resumed, Path dir, Device device,
                                PrintStream out, String label, long stopAfter) throws Exception {
        List<String> names = List.copyOf(task.model.params().names());

        DataLoader loader = DataLoader.of(task.train, c.batch()).shuffle(c.seed()).dropLast(true);
        if (loader.numBatches() == 0)
            throw new Main.UserError("--batch " + c.batch() + " is larger than the " + task.train.size() + " training examples");
        int perEpoch = c.steps() > 0 ? Math.min(c.steps(), loader.numBatches()) : loader.numBatches();

        int epoch = 0, batchInEpoch = 0;
        long step = 0;
        boolean evaluated = false;
        double elapsedBefore = 0;
        if (resumed != null) {
            Map<String, String> m = resumed.metadata();
            learner.load(resumed.tensors(), m, names);
            epoch = Integer.parseInt(m.get("epoch"));
            batchInEpoch = Integer.parseInt(m.get("batch_in_epoch"));
            step = Long.parseLong(m.get("step"));
            evaluated = Boolean.parseBoolean(m.get("evaluated"));
            elapsedBefore = Double.parseDouble(m.get("elapsed_s"));
            out.println(label + "resuming " + c.resume() + " at epoch " + (epoch + 1) + ", step " + step);
        }

        Files.createDirectories(dir);
        writeConfig(dir.resolve(CONFIG), c);
        long start = System.nanoTime();
        boolean live = Progress.stdoutIsTerminal();
        var shared = new Object() {
            volatile Snapshot latest;
            volatile boolean finished;
            volatile long savedStep = -1;
        };
        Thread hook = new Thread(() -> {
            Snapshot s = shared.latest;
            if (shared.finished || s == null) return;
            try {
                Checkpoint.save(dir.resolve(CHECKPOINT), s.tensors(), s.metadata());
                try {
                    plots(dir, task, c);
                } catch (IOException | RuntimeException e) {
                    System.err.println("\nproxima train: could not write the plots: " + e.getMessage());
                }
                System.err.println("\nproxima train: interrupted; checkpoint of step " + s.metadata().get("step") + " in "
                        + dir.resolve(CHECKPOINT) + ", plots of the steps so far (continue with --resume)");
            } catch (IOException e) {
                System.err.println("\nproxima train: interrupted; could not write the checkpoint: " + e.getMessage());
            }
        }, "proxima-checkpoint-on-exit");
        Plots.warmUp(); // the hook's plots need Java2D set up before the JVM shuts down
        Runtime.getRuntime().addShutdownHook(hook);

        double[] test = {Double.NaN, Double.NaN};
        double lastLoss = Double.NaN;
        try (MetricsLog log = new MetricsLog(dir.resolve(METRICS), resumed == null ? -1 : step)) {
            for (; epoch < c.epochs(); epoch++, batchInEpoch = 0, evaluated = false) {
                int[] order = loader.order(epoch);
                if (batchInEpoch < perEpoch) {
                    try (Progress bar = new Progress(label + "epoch " + (epoch + 1) + "/" + c.epochs(), perEpoch, out, live)) {
                        bar.skip(batchInEpoch);
                        for (; batchInEpoch < perEpoch; batchInEpoch++) {
                            Batch b = batch(task, order, c.batch(), batchInEpoch, device);
                            Tensor xMeta = null;
                            if (c.optimizer().apo()) {
                                // B' for the function-space term: another batch of the same epoch.
                                Batch m = batch(task, order, c.batch(), (batchInEpoch + loader.numBatches() / 2) % loader.numBatches(), device);
                                xMeta = task.input(m.x(), m.y());
                            }
                            double lrUsed = learner.lr();
                            lastLoss = learner.step(task.input(b.x(), b.y()), task.target(b.x(), b.y()), xMeta);
                            step++;
                            double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                            log.step(step, epoch, lastLoss, lrUsed, elapsed);
                            bar.step(lastLoss, c.optimizer().apo() ? lrUsed : Double.NaN, c.batch());
                            shared.latest = snapshot(learner, c, epoch, batchInEpoch + 1, step, false, elapsed);
                            if (!Double.isFinite(lastLoss))
                                throw new IllegalStateException("the training loss is " + lastLoss + " at step " + step
                                        + "; try a smaller --lr (now " + c.lr() + ")");
                            if (sampleDuringEpoch(c, label, perEpoch, batchInEpoch)) {
                                double[] t = evaluate(task, learner, loader, order, c);
                                log.test(step, epoch, t[0], t[1], elapsedBefore + (System.nanoTime() - start) / 1e9);
                            }
                            if (stopAfter > 0 && step >= stopAfter) {
                                Snapshot s = shared.latest;
                                Checkpoint.save(dir.resolve(CHECKPOINT), s.tensors(), s.metadata());
                                plots(dir, task, c);
                                shared.finished = true;
                                return new Result(dir, Double.NaN, Double.NaN, task.metricName, lastLoss, elapsed, step,
                                        MetricsLog.read(dir.resolve(METRICS)), learner.params());
                            }
                        }
                    }
                }
                if (!evaluated) {
                    test = evaluate(task, learner, loader, order, c);
                    double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                    log.test(step, epoch, test[0], test[1], elapsed);
                    out.printf(Locale.ROOT, "%sepoch %d/%d: train loss %.4f, test loss %.4f%s, %.1f s%n", label, epoch + 1, c.epochs(),
                            lastLoss, test[0], task.metricName == null ? "" : String.format(Locale.ROOT, ", test %s %.4f", task.metricName, test[1]), elapsed);
                    Snapshot s = snapshot(learner, c, epoch, perEpoch, step, true, elapsed);
                    Checkpoint.save(dir.resolve(CHECKPOINT), s.tensors(), s.metadata());
                    shared.latest = s;
                    plots(dir, task, c);
                }
            }
            shared.finished = true;
        } finally {
            shared.finished = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting: the hook runs (and finds the run finished or not)
            }
        }
        List<MetricsLog.Row> rows = MetricsLog.read(dir.resolve(METRICS));
        if (Double.isNaN(test[0])) // resumed after the last epoch's evaluation: report it from the log
            for (MetricsLog.Row r : rows) if (!Double.isNaN(r.testLoss())) test = new double[] {r.testLoss(), r.testMetric()};
        double seconds = elapsedBefore + (System.nanoTime() - start) / 1e9;
        return new Result(dir, test[0], test[1], task.metricName, lastLoss, seconds, step, rows, learner.params());
    }

    /** The test loss and metric: batch-norm statistics re-estimated on the epoch's first batches, then the test set. */
    private static double[] evaluate(Task task, Learner learner, DataLoader loader, int[] order, TrainConfig c) {
        List<int[]> calibration = new ArrayList<>();
        for (int k = 0; k < Math.min(CALIBRATION_BATCHES, loader.numBatches()); k++)
            calibration.add(Arrays.copyOfRange(order, k * c.batch(), (k + 1) * c.batch()));
        task.calibrate(learner.params(), calibration);
        return task.evaluate(learner.params(), task.test, EVAL_BATCH);
    }

    /**
     * A run of one epoch would plot its test metrics as one point: the command's own runs
     * (no label; the demo's labelled runs keep their budget) of at least 10 steps also test
     * after each fifth of the epoch. Evaluating changes no parameter: the run is the same.
     */
    static boolean sampleDuringEpoch(TrainConfig c, String label, int perEpoch, int batchInEpoch) {
        int done = batchInEpoch + 1;
        return c.epochs() == 1 && label.isEmpty() && perEpoch >= 10 && done < perEpoch && done % (perEpoch / 5) == 0;
    }

    /** The run directory's plots from its metrics.csv (also on Ctrl-C: the steps so far). */
    private static void plots(Path dir, Task task, TrainConfig c) throws IOException {
        Plots.forRun(dir, MetricsLog.read(dir.resolve(METRICS)), task.metricName, c.optimizer().apo());
    }

    /** Batch {@code k} of an epoch's order, on the device. */
    private static Batch batch(Task task, int[] order, int size, int k, Device device) {
        return task.onDevice(task.train.get(Arrays.copyOfRange(order, k * size, (k + 1) * size)));
    }

    private static Snapshot snapshot(Learner learner, TrainConfig c, int epoch, int batchInEpoch, long step, boolean evaluated, double elapsed) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        learner.save(tensors, meta);
        for (var e : c.all().entrySet()) meta.put("config." + e.getKey(), e.getValue());
        meta.put("epoch", Integer.toString(epoch));
        meta.put("batch_in_epoch", Integer.toString(batchInEpoch));
        meta.put("step", Long.toString(step));
        meta.put("evaluated", Boolean.toString(evaluated));
        meta.put("elapsed_s", Double.toString(elapsed));
        meta.put("rng", "seed " + c.seed() + ": initial weights from the seed, epoch order from (seed, epoch), APO's second batch from the position; no other random state");
        return new Snapshot(tensors, meta);
    }

    private static Map<String, String> prefixed(Map<String, String> m, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) if (e.getKey().startsWith(prefix)) out.put(e.getKey().substring(prefix.length()), e.getValue());
        if (out.isEmpty()) throw new Main.UserError("--resume: the checkpoint has no run configuration (not written by proxima train?)");
        return out;
    }

    private static void writeConfig(Path file, TrainConfig c) throws IOException {
        StringBuilder sb = new StringBuilder("# proxima train: the settings of this run\n");
        for (var e : c.all().entrySet()) sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
