package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Schedules;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./proxima bench apo [--quick | --long] [--out DIR] [--tasks a,b]}: does APO reproduce
 * the paper's claims at CPU scale? Four tasks, six methods from the same seed and the same
 * number of steps: the best fixed learning rate of SGD with momentum 0.9 from a grid of five,
 * a step decay, APO-LR over the same SGD, Adam, KFAC and APO-Precond. Writes a markdown table
 * and PNG plots (loss curves, the learning rates APO learned) and prints one
 * {@code RESULT bench=apo task=... method=... final_loss=... test_metric=... step_ms=...} line
 * per task and method. A benchmark, not a test: nothing here asserts the claims.
 */
public final class ApoStudy {
    static final long SEED = 42;
    static final double MOMENTUM = 0.9;
    /** The grid of fixed SGD learning rates (five, half a decade apart). */
    static final double[] GRID = {0.3, 0.1, 0.03, 0.01, 0.003};
    /** Adam's rate: PyTorch's default, not tuned. */
    static final double ADAM_LR = 1e-3;
    static final String[] METHODS = {"best-fixed", "step-decay", "apo-lr", "adam", "kfac", "apo-precond"};

    private ApoStudy() {}

    /**
     * APO-LR's amortized step time over its base optimizer's (SGD-momentum), measured apart
     * from the runs: rounds of 20 base steps then 20 APO steps (two meta-steps, K = 10) on the
     * same batches, 5 to 40 rounds (about 10 s). The ratio is the median over rounds of each
     * round's APO time over its base time: the two halves of a round run back to back, so
     * load from other processes on a shared machine mostly lands on both.
     */
    record Overhead(double baseMs, double apoMs, double ratio, int rounds) {}

    static final int ROUNDS_MIN = 5, ROUNDS_MAX = 40;
    static final long ROUNDS_BUDGET_NS = 10_000_000_000L;

    static Overhead overhead(StudyTask task) {
        Module model = task.model(SEED);
        Params init = model.params().detach();
        ApoConfig c = apoConfig(task);
        Trainer base = new RuleTrainer<>(Sgd.builder().lr(0.01).momentum(MOMENTUM).build(), model, task, init);
        Trainer apo = new ApoTrainer<>(ApoLr.over(Sgd.builder().lr(1).momentum(MOMENTUM).build(), c), model, task, init, c);
        Cycle batches = new Cycle(DataLoader.of(task.train, task.batchSize).shuffle(SEED).dropLast(true));
        List<Batch> fixed = new ArrayList<>();
        for (int i = 0; i < 20; i++) fixed.add(task.prepare(batches.next()));
        timeSteps(base, fixed); // warm
        timeSteps(apo, fixed);
        List<Double> ratios = new ArrayList<>();
        double baseMs = Double.MAX_VALUE, apoMs = Double.MAX_VALUE;
        long start = System.nanoTime();
        while (ratios.size() < ROUNDS_MAX && (ratios.size() < ROUNDS_MIN || System.nanoTime() - start < ROUNDS_BUDGET_NS)) {
            double b = timeSteps(base, fixed), a = timeSteps(apo, fixed);
            baseMs = Math.min(baseMs, b);
            apoMs = Math.min(apoMs, a);
            ratios.add(a / b);
        }
        java.util.Collections.sort(ratios);
        int n = ratios.size();
        double median = n % 2 == 1 ? ratios.get(n / 2) : (ratios.get(n / 2 - 1) + ratios.get(n / 2)) / 2;
        return new Overhead(baseMs, apoMs, median, n);
    }

    private static double timeSteps(Trainer trainer, List<Batch> batches) {
        long s = System.nanoTime();
        for (int i = 0; i < batches.size(); i++) trainer.step(batches.get(i), batches.get((i + 1) % batches.size()));
        return (System.nanoTime() - s) / 1e6 / batches.size();
    }

    /** One training run's record. */
    record Run(String method, String detail, double[] losses, double[] lrs, int stepsDone, double finalLoss, double testMetric,
               double stepMs) {
        boolean diverged() {
            return !Double.isFinite(finalLoss);
        }
    }

    /** A method's training loop: one step on batch B (B' feeds APO's function-space term). */
    interface Trainer {
        double step(Batch b, Batch meta);

        Params params();

        /** The learning rate the last step used (NaN when it has no single one). */
        double lr();
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double scale = 1;
        Path out = Files.exists(Path.of("proxima")) && Files.isDirectory(Path.of("docs")) || Files.exists(Path.of("proxima"))
                ? Path.of("docs") : Path.of("apo-study");
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> scale = 0.2;
                case "--long" -> scale = 4;
                case "--out" -> out = Path.of(args[++i]);
                case "--tasks" -> only = List.of(args[++i].split(","));
                case "--scalar" -> { }
                default -> {
                    System.err.println("bench apo: unknown option '" + args[i] + "'");
                    System.err.println("usage: ./proxima bench apo [--quick | --long] [--out DIR] [--tasks regression,autoencoder,cnn,transformer]");
                    System.exit(2);
                }
            }
        }
        List<StudyTask> tasks = List.of(new StudyTask.Regression(steps(1000, scale)), new StudyTask.Autoencoder(steps(400, scale)),
                new StudyTask.Cnn(steps(250, scale)), new StudyTask.Transformer(steps(400, scale)));
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "bench apo: %d cores, %s, output in %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), out.toAbsolutePath());
        long t0 = System.nanoTime();
        Map<StudyTask, List<Run>> results = new LinkedHashMap<>();
        Map<StudyTask, Overhead> overheads = new LinkedHashMap<>();
        for (StudyTask task : tasks) {
            if (only != null && !only.contains(task.name)) continue;
            long t = System.nanoTime();
            task.load();
            results.put(task, runTask(task));
            Overhead o = overhead(task);
            overheads.put(task, o);
            System.out.printf(Locale.ROOT, "  %s APO-LR step / base step: %.2fx (median of %d interleaved rounds; fastest %.2f vs %.2f ms)%n",
                    task.name, o.ratio(), o.rounds(), o.apoMs(), o.baseMs());
            System.out.printf(Locale.ROOT, "%s: done in %.1f s%n", task.name, (System.nanoTime() - t) / 1e9);
        }
        double totalS = (System.nanoTime() - t0) / 1e9;
        StudyReport.write(out, results, overheads, scale, totalS);
        for (var e : results.entrySet())
            for (Run r : e.getValue())
                System.out.printf(Locale.ROOT, "RESULT bench=apo task=%s method=%s final_loss=%.6g test_metric=%.6g step_ms=%.3f%n",
                        e.getKey().name, r.method(), r.finalLoss(), r.testMetric(), r.stepMs());
        System.out.printf(Locale.ROOT, "bench apo: %.1f s in all; table in %s%n", totalS, out.resolve("apo-study.md"));
    }

    private static int steps(int base, double scale) {
        return Math.max(20, (int) Math.round(base * scale));
    }

    static List<Run> runTask(StudyTask task) {
        // Untimed warm-up of every code path, so the first timed run does not pay the JIT.
        int warm = Math.min(30, task.steps / 5);
        for (String m : METHODS)
            if (!m.equals("kfac") || KfacTrainer.available()) train(task, m.equals("best-fixed") ? "fixed" : m, 0.01, warm, false);

        List<Run> runs = new ArrayList<>();
        Run best = null;
        for (double lr : GRID) {
            Run r = train(task, "fixed", lr, task.steps, true);
            System.out.printf(Locale.ROOT, "  %s fixed lr %g: final loss %.5g, %s %.4g%n", task.name, lr, r.finalLoss(), task.metricName(), r.testMetric());
            if (best == null || better(r, best)) best = r;
        }
        double bestLr = best.lrs()[0];
        runs.add(new Run("best-fixed", "SGD-momentum lr " + bestLr + " (grid " + java.util.Arrays.toString(GRID) + ")", best.losses(), best.lrs(),
                best.stepsDone(), best.finalLoss(), best.testMetric(), best.stepMs()));
        for (String m : new String[] {"step-decay", "apo-lr", "adam", "kfac", "apo-precond"}) {
            Run r = m.equals("kfac") && !KfacTrainer.available()
                    ? new Run(m, KfacTrainer.describe(), new double[0], new double[0], 0, Double.NaN, Double.NaN, Double.NaN)
                    : train(task, m, bestLr, task.steps, true);
            runs.add(r);
            System.out.printf(Locale.ROOT, "  %s %s: final loss %.5g, %s %.4g, %.2f ms/step%n", task.name, m, r.finalLoss(), task.metricName(),
                    r.testMetric(), r.stepMs());
        }
        return runs;
    }

    private static boolean better(Run a, Run b) {
        if (a.diverged()) return false;
        return b.diverged() || a.finalLoss() < b.finalLoss();
    }

    static ApoConfig apoConfig(StudyTask task) {
        return ApoConfig.builder().divergence(task.divergence()).build();
    }

    /** One run of {@code method} ("fixed" takes {@code lr}; "step-decay" starts from it). */
    static Run train(StudyTask task, String method, double lr, int steps, boolean evaluate) {
        Module model = task.model(SEED);
        Params init = model.params().detach();
        String detail;
        Trainer trainer;
        switch (method) {
            case "fixed" -> {
                trainer = new RuleTrainer<>(Sgd.builder().lr(lr).momentum(MOMENTUM).build(), model, task, init);
                detail = "SGD-momentum lr " + lr;
            }
            case "step-decay" -> {
                long half = steps / 2, threeQuarters = 3L * steps / 4;
                trainer = new RuleTrainer<>(Sgd.builder().lr(lr).momentum(MOMENTUM).schedule(Schedules.multiStep(0.1, half, threeQuarters)).build(),
                        model, task, init);
                detail = "SGD-momentum lr " + lr + " (the best fixed), x0.1 at steps " + half + " and " + threeQuarters;
            }
            case "adam" -> {
                trainer = new RuleTrainer<>(Adam.builder().lr(ADAM_LR).build(), model, task, init);
                detail = "Adam lr " + ADAM_LR + " (PyTorch default betas)";
            }
            case "apo-lr" -> {
                ApoConfig c = apoConfig(task);
                trainer = new ApoTrainer<>(ApoLr.over(Sgd.builder().lr(1).momentum(MOMENTUM).build(), c), model, task, init, c);
                detail = "APO-LR over SGD-momentum 0.9";
            }
            case "apo-precond" -> {
                ApoConfig c = apoConfig(task);
                trainer = new ApoTrainer<>(new ApoPrecond(c), model, task, init, c);
                detail = "APO-Precond";
            }
            case "kfac" -> {
                trainer = KfacTrainer.create(model, task, init);
                detail = KfacTrainer.describe();
            }
            default -> throw new IllegalArgumentException("unknown method " + method);
        }
        DataLoader main = DataLoader.of(task.train, task.batchSize).shuffle(SEED).dropLast(true);
        DataLoader second = DataLoader.of(task.train, task.batchSize).shuffle(SEED + 1).dropLast(true);
        Cycle batches = new Cycle(main), metaBatches = new Cycle(second);
        double[] losses = new double[steps], lrs = new double[steps];
        long nanos = 0;
        int done = 0;
        for (int t = 0; t < steps; t++) {
            Batch b = task.prepare(batches.next()), bm = task.prepare(metaBatches.next());
            long s = System.nanoTime();
            double loss = trainer.step(b, bm);
            nanos += System.nanoTime() - s;
            losses[t] = loss;
            lrs[t] = trainer.lr();
            done = t + 1;
            if (!Double.isFinite(loss) || loss > 1e6) break;
        }
        int tail = Math.max(1, steps / 10);
        double finalLoss = 0;
        if (done < steps) finalLoss = Double.NaN;
        else {
            for (int t = steps - tail; t < steps; t++) finalLoss += losses[t];
            finalLoss /= tail;
        }
        double metric = evaluate && Double.isFinite(finalLoss) ? task.testMetric(model, trainer.params()) : Double.NaN;
        if (trainer instanceof ApoTrainer<?> && done > 0)
            detail += String.format(Locale.ROOT, "; learned lr %.3g at the end (started at %.3g)", lrs[done - 1], apoConfig(task).initialLr());
        return new Run(method, detail, losses, lrs, done, finalLoss, metric, nanos / 1e6 / Math.max(1, done));
    }

    /** Batches from a loader, epoch after epoch. */
    static final class Cycle {
        private final DataLoader loader;
        private int epoch;
        private Iterator<Batch> it;

        Cycle(DataLoader loader) {
            this.loader = loader;
            this.it = loader.epoch(0).iterator();
        }

        Batch next() {
            if (!it.hasNext()) it = loader.epoch(++epoch).iterator();
            return it.next();
        }
    }

    /** A plain optim rule: gradient at θ, then the rule's step. */
    static final class RuleTrainer<S> implements Trainer {
        private final UpdateRule<S> rule;
        private final Module model;
        private final StudyTask task;
        private Params params;
        private S state;
        private double lastLr = Double.NaN;

        RuleTrainer(UpdateRule<S> rule, Module model, StudyTask task, Params init) {
            this.rule = rule;
            this.model = model;
            this.task = task;
            this.params = init;
            this.state = rule.init(init);
        }

        @Override
        public double step(Batch b, Batch meta) {
            Params leaves = params.requiresGrad();
            Tensor loss = task.loss(model.apply(leaves, b.x()), b.y());
            Params grads = Autograd.grad(loss, leaves);
            lastLr = rule.learningRate(state);
            try (var off = Autograd.noGrad()) {
                Update<S> u = rule.update(grads, state, params);
                params = u.params();
                state = u.state();
            }
            return loss.item();
        }

        @Override
        public Params params() { return params; }

        @Override
        public double lr() { return lastLr; }
    }

    /** APO: one {@link Apo#step} per batch, B' from a second, independently shuffled loader. */
    static final class ApoTrainer<S> implements Trainer {
        private final Apo<S> apo;
        private double lastLr = Double.NaN;

        ApoTrainer(ApoRule<S> rule, Module model, StudyTask task, Params init, ApoConfig config) {
            apo = new Apo<>(rule, model::apply, task::loss, init, config);
            apo.addListener(s -> lastLr = s.learningRates().getOrDefault("global", Double.NaN));
        }

        @Override
        public double step(Batch b, Batch meta) {
            return apo.step(b.x(), b.y(), meta.x());
        }

        @Override
        public Params params() { return apo.params(); }

        @Override
        public double lr() { return lastLr; }
    }
}
