package dev.proxima.cli;

import dev.proxima.autograd.Params;
import dev.proxima.nn.io.Checkpoint;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.RmsProp;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.UpdateRule;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.tensor.Device;
import dev.proxima.train.Evaluation;
import dev.proxima.train.Fit;
import dev.proxima.train.Learner;
import dev.proxima.train.TrainState;
import dev.proxima.train.WorkerGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one training job described by a {@link TrainConfig} and keeps its run directory:
 * metrics.csv, PNG plots, config.properties, checkpoint.safetensors (the whole training state)
 * and model.safetensors (the model alone, as PyTorch's state_dict names it). The training itself
 * is the library's ({@link Fit} stepping a {@link Learner}); this class maps the settings to a
 * learner and turns the loop's events into the progress bar, the log, the plots and the
 * checkpoints.
 *
 * <p>Every source of randomness is a function of the seed and the position in the run (the
 * initial weights of the seed; the epoch order and APO's second batch, see {@link Fit}), so a
 * checkpoint holds the learner's {@link TrainState} (parameters, buffers, optimizer state)
 * and the position (epoch, batch, step), and resuming gives the same parameters bit for bit.
 *
 * <p>A checkpoint is written atomically after every epoch and, when the JVM is stopped
 * (Ctrl-C), from the last completed step by a shutdown hook; metrics.csv is flushed row by
 * row. A resumed run drops the rows logged after its checkpoint.
 */
final class Trainer {
    static final String CHECKPOINT = "checkpoint.safetensors", METRICS = "metrics.csv", CONFIG = "config.properties",
            MODEL = "model.safetensors";
    private static final int EVAL_BATCH = 500;
    /** A worker waits this long for a slower one in an all-reduce before giving up. */
    private static final Duration WORKER_TIMEOUT = Duration.ofMinutes(2);

    /** What a finished (or stopped) run reports. */
    record Result(Path dir, double testLoss, double testMetric, String metricName, double finalTrainLoss, double seconds,
                  long steps, List<MetricsLog.Row> rows, Params params, Params buffers) {}

    /** A consistent point of the run, taken after each step, for the Ctrl-C checkpoint (encoded only when written). */
    private record Snapshot(TrainState state, Map<String, String> metadata) {
        void save(Path file) throws IOException {
            state.save(file, metadata);
        }
    }

    private Trainer() {}

    /** The command's entry: train, then print the test metrics and where the run went. */
    static boolean run(TrainConfig c, PrintStream out) throws Exception {
        Result r = train(c, out, "", 0);
        out.printf(Locale.ROOT, "test: loss %.4f%s after %d steps, %.1f s%n", r.testLoss(),
                r.metricName() == null ? "" : String.format(Locale.ROOT, ", %s %.4f", r.metricName(), r.testMetric()), r.steps(), r.seconds());
        out.println("run directory: " + r.dir() + " (" + METRICS + ", plots, " + CONFIG + ", " + CHECKPOINT + ", " + MODEL + ")");
        return true;
    }

    /** SGD is SGD with momentum 0.9 here (what one trains CNNs with); Adam and RMSProp use PyTorch's defaults. */
    static UpdateRule<?> baseRule(String name, double lr) {
        return switch (name) {
            case "sgd" -> Sgd.builder().lr(lr).momentum(0.9).build();
            case "adam" -> Adam.builder().lr(lr).build();
            case "rmsprop" -> RmsProp.builder().lr(lr).build();
            default -> throw new IllegalArgumentException("no base rule '" + name + "'");
        };
    }

    /** The learner for {@code config}'s optimizer over the task's model, from its current parameters. */
    static Learner learner(TrainConfig config, Task task) {
        WorkerGroup workers = config.workers() > 1 ? new WorkerGroup(config.workers(),
                TrainConfig.RING.equals(config.transport()) ? WorkerGroup.Transport.RING : WorkerGroup.Transport.THREAD, WORKER_TIMEOUT) : null;
        return switch (config.optimizer()) {
            case SGD, ADAM, RMSPROP -> {
                UpdateRule<?> rule = baseRule(config.optimizer().toString(), config.lr());
                yield workers != null ? Learner.dataParallel(rule, task.objective(), workers) : Learner.of(rule, task.objective());
            }
            case APO_LR, APO_PRECOND -> {
                ApoConfig c = ApoConfig.builder().initialLr(config.lr()).divergence(task.divergence()).build();
                ApoRule<?> rule = config.optimizer() == TrainConfig.Optimizer.APO_LR ? ApoLr.over(baseRule(config.base(), 1.0), c) : new ApoPrecond(c);
                yield workers != null ? Learner.dataParallelApo(rule, task.objective(), c, workers) : Learner.apo(rule, task.objective(), c);
            }
            case KFAC -> Learner.kfac(Kfac.builder().lr(config.lr()).momentum(0.9).build(), task.objective(), config.lr());
        };
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
        try (Learner learner = learner(c, task)) {
            return train(c, task, learner, resumed, dir, out, label, stopAfter);
        }
    }

    /** The loop of {@link #train(TrainConfig, PrintStream, String, long)}: the run directory is written from here on. */
    private static Result train(TrainConfig c, Task task, Learner learner, Checkpoint resumed, Path dir,
                                PrintStream out, String label, long stopAfter) throws Exception {
        if (task.train.size() < c.batch())
            throw new Main.UserError("--batch " + c.batch() + " is larger than the " + task.train.size() + " training examples");
        Supplier<Evaluation.Result> testSet =
                () -> Evaluation.run(task.objective(), learner.params(), learner.buffers(), task.test, EVAL_BATCH, task::prepare, task.accuracy());
        Fit fit = new Fit(learner, task.train, c.batch(), c.seed(), c.epochs(), c.steps(), task::prepare, testSet);

        Fit.Position from = Fit.Position.START;
        double elapsedBefore = 0;
        if (resumed != null) {
            Map<String, String> m = resumed.metadata();
            learner.restore(TrainState.load(resumed.tensors(), m, learner.state()));
            from = Fit.Position.load(resumed);
            elapsedBefore = resumed.doubleMetadata("elapsed_s");
            out.println(label + "resuming " + c.resume() + " at epoch " + (from.epoch() + 1) + ", step " + from.step());
        }

        Files.createDirectories(dir);
        writeConfig(dir.resolve(CONFIG), c);
        long start = System.nanoTime();
        double before = elapsedBefore;
        boolean live = Progress.stdoutIsTerminal();
        var shared = new Object() {
            volatile Snapshot latest;
            volatile boolean finished;
        };
        Thread hook = new Thread(() -> {
            Snapshot s = shared.latest;
            if (shared.finished || s == null) return;
            try {
                s.save(dir.resolve(CHECKPOINT));
                s.state().saveModel(task.model, dir.resolve(MODEL));
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

        Fit.Outcome outcome;
        try (MetricsLog log = new MetricsLog(dir.resolve(METRICS), resumed == null ? -1 : from.step())) {
            outcome = fit.run(from, new Fit.Listener() {
                Progress bar;

                double elapsed() {
                    return before + (System.nanoTime() - start) / 1e9;
                }

                @Override
                public void epochStarted(int epoch, int batches, int done) {
                    bar = new Progress(label + "epoch " + (epoch + 1) + "/" + c.epochs(), batches, out, live);
                    bar.skip(done);
                }

                @Override
                public boolean stepped(Fit.Step s) {
                    return io(() -> steppedOrThrow(s));
                }

                private boolean steppedOrThrow(Fit.Step s) throws IOException {
                    double elapsed = elapsed();
                    log.step(s.position().step(), s.position().epoch(), s.loss(), s.lr(), elapsed);
                    bar.step(s.loss(), learner.usesSecondBatch() ? s.lr() : Double.NaN, c.batch());
                    shared.latest = snapshot(learner, c, s.position(), elapsed);
                    if (!Double.isFinite(s.loss()))
                        throw new IllegalStateException("the training loss is " + s.loss() + " at step " + s.position().step()
                                + "; try a smaller --lr (now " + c.lr() + ")");
                    if (sampleDuringEpoch(c, label, fit.stepsPerEpoch(), s.position().batchInEpoch() - 1)) {
                        Evaluation.Result t = testSet.get();
                        log.test(s.position().step(), s.position().epoch(), t.loss(), t.metric(), elapsed());
                    }
                    if (stopAfter > 0 && s.position().step() >= stopAfter) {
                        save(shared.latest);
                        plots(dir, task, c);
                        shared.finished = true;
                        return false;
                    }
                    return true;
                }

                @Override
                public void epochEnded(int epoch) {
                    bar.close();
                }

                @Override
                public void evaluated(Fit.Position p, double trainLoss, Evaluation.Result test) {
                    io(() -> evaluatedOrThrow(p, trainLoss, test));
                }

                private boolean evaluatedOrThrow(Fit.Position p, double trainLoss, Evaluation.Result test) throws IOException {
                    double elapsed = elapsed();
                    log.test(p.step(), p.epoch(), test.loss(), test.metric(), elapsed);
                    out.printf(Locale.ROOT, "%sepoch %d/%d: train loss %.4f, test loss %.4f%s, %.1f s%n", label, p.epoch() + 1, c.epochs(),
                            trainLoss, test.loss(), task.metricName == null ? "" : String.format(Locale.ROOT, ", test %s %.4f", task.metricName, test.metric()), elapsed);
                    Snapshot s = snapshot(learner, c, p, elapsed);
                    save(s);
                    shared.latest = s;
                    plots(dir, task, c);
                    return true;
                }

                /** The checkpoint, and beside it the model alone with PyTorch's key names. */
                private void save(Snapshot s) throws IOException {
                    s.save(dir.resolve(CHECKPOINT));
                    s.state().saveModel(task.model, dir.resolve(MODEL));
                }
            });
            shared.finished = true;
        } catch (UncheckedIOException e) {
            throw e.getCause(); // the run directory's files: the listener could only carry it unchecked
        } finally {
            shared.finished = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting: the hook runs (and finds the run finished or not)
            }
        }
        double seconds = before + (System.nanoTime() - start) / 1e9;
        List<MetricsLog.Row> rows = MetricsLog.read(dir.resolve(METRICS));
        if (outcome.stopped())
            return new Result(dir, Double.NaN, Double.NaN, task.metricName, outcome.lastLoss(), seconds, outcome.position().step(), rows, learner.params(), learner.buffers());
        double[] test = outcome.lastTest() == null ? new double[] {Double.NaN, Double.NaN}
                : new double[] {outcome.lastTest().loss(), outcome.lastTest().metric()};
        if (Double.isNaN(test[0])) // resumed after the last epoch's evaluation: report it from the log
            for (MetricsLog.Row r : rows) if (!Double.isNaN(r.testLoss())) test = new double[] {r.testLoss(), r.testMetric()};
        return new Result(dir, test[0], test[1], task.metricName, outcome.lastLoss(), seconds, outcome.position().step(), rows, learner.params(), learner.buffers());
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

    /** An action on the run directory's files. */
    private interface IoAction {
        boolean run() throws IOException;
    }

    /** Runs {@code action} inside a {@link Fit.Listener}, which may not throw a checked exception. */
    private static boolean io(IoAction action) {
        try {
            return action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Snapshot snapshot(Learner learner, TrainConfig c, Fit.Position p, double elapsed) {
        Map<String, String> meta = new LinkedHashMap<>();
        for (var e : c.all().entrySet()) meta.put("config." + e.getKey(), e.getValue());
        p.save(meta);
        meta.put("elapsed_s", Double.toString(elapsed));
        meta.put("rng", "seed " + c.seed() + ": initial weights from the seed, epoch order from (seed, epoch), APO's second batch from the position; no other random state");
        return new Snapshot(learner.state(), meta);
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
