package dev.proxima.bench.apo;

import dev.proxima.autograd.Autocast;
import dev.proxima.bench.TorchPeer;
import dev.proxima.nn.Module;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.FashionMnist;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.tensor.cpu.Parallel;
import dev.proxima.train.Evaluation;
import dev.proxima.train.Fit;
import dev.proxima.train.Learner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one cell: a training run of a method with a setting and a seed, or a timing cell. */
final class Runner {
    /** Points kept of the loss and rate curves. */
    static final int CURVE_POINTS = 100;
    /** A loss above this (or not finite) ends the run as diverged. */
    static final double DIVERGED = 1e6;
    /** The name of the timing cell's method. */
    static final String OVERHEAD = "overhead";
    /** A setting's flag (1) for a run whose matmuls compute in bfloat16 ({@code Autocast.bf16()}), float32 master weights. */
    static final String BF16 = "bf16";

    /** The cell method of PyTorch's runs on the CNN (claim 7's peer, docs/APO.md amendment 2). */
    static final String PYTORCH = "pytorch";

    private Runner() {}

    /**
     * PyTorch on the CNN task: {@code cnn_torch.py} (a resource beside this class, run by
     * {@link TorchPeer#runScript} as the benches run their peers) trains the
     * same architecture on the same standardized pixels with SGD-momentum at {@code key}'s
     * setting, batch and steps, seeded with the key's seed, with as many threads as Proxima
     * uses; its final loss, test accuracy, step time and loss curve become the cell. An error,
     * naming the command and its output, when Python, torch or the data is missing.
     */
    static Cell torch(StudyTask task, Cell.Key key) {
        Setting s = Setting.parse(key.setting());
        String loadStart = loadAverage();
        long t0 = System.nanoTime();
        String out;
        try {
            out = TorchPeer.runScript("apo/cnn_torch.py", List.of("--data", FashionMnist.DEFAULT_DIR.toString(),
                    "--mean", Double.toString(FashionMnist.MEAN), "--std", Double.toString(FashionMnist.STD), "--seed", Long.toString(key.seed()),
                    "--steps", Integer.toString(key.steps()), "--batch", Integer.toString(task.batchSize), "--lr", Double.toString(s.get("lr")),
                    "--momentum", Double.toString(s.get("momentum")), "--threads", Integer.toString(Parallel.threads())));
        } catch (IOException e) {
            throw new UncheckedIOException("bench apo: PyTorch's CNN run failed (python3-torch and Fashion-MNIST installed? PROXIMA_PEER_PYTHON picks another Python)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench apo: interrupted while PyTorch's CNN ran", e);
        }
        Map<String, String> kv = new LinkedHashMap<>();
        String[] lines = out.split("\n");
        for (String tok : lines[lines.length - 1].trim().split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) kv.put(tok.substring(0, eq), tok.substring(eq + 1));
        }
        for (String k : List.of(Cell.FINAL_LOSS, Cell.TEST_METRIC, Cell.STEP_MS, Cell.STEPS_DONE, "loss"))
            if (!kv.containsKey(k)) throw new IllegalStateException("bench apo: PyTorch's CNN run printed no " + k + ": " + out);
        Map<String, Double> scalars = new LinkedHashMap<>();
        for (String k : List.of(Cell.FINAL_LOSS, Cell.TEST_METRIC, Cell.STEP_MS)) scalars.put(k, Double.parseDouble(kv.get(k)));
        scalars.put(Cell.LR_END, s.get("lr"));
        scalars.put(Cell.STEPS_DONE, Double.parseDouble(kv.get(Cell.STEPS_DONE)));
        scalars.put(Cell.WALL_S, (System.nanoTime() - t0) / 1e9);
        double[] curve = java.util.Arrays.stream(kv.get("loss").split(",")).mapToDouble(Double::parseDouble).toArray();
        Map<String, String> info = provenance(loadStart);
        info.put("peer", "torch " + kv.getOrDefault("torch", "?") + ", Python " + kv.getOrDefault("python", "?"));
        return new Cell(key, scalars, Map.of("loss", curve), info);
    }

    /**
     * One training run: the method's {@link Learner} through the library's {@link Fit}, for
     * {@code key.steps()} steps. The seed fixes the model's initial weights and the order of the
     * batches (B from the training set shuffled with the seed, epoch after epoch; B' from an
     * order shuffled with seed + 1,000,003, {@link Fit#secondBatchOrder}); every method sees the
     * same batches for the same seed. A loss above {@link #DIVERGED} (or not finite) ends the run.
     */
    static Cell train(StudyTask task, Cell.Key key) {
        Method method = Method.of(key.method());
        Setting s = Setting.parse(key.setting());
        boolean bf16 = s.getOr(BF16, 0) != 0;
        int steps = key.steps();
        Module model = task.model(key.seed());
        Learner learner = Learners.create(method, s, task, model, steps, key.seed());
        int perEpoch = Math.max(1, task.train.size() / task.batchSize);
        Fit fit = new Fit(learner, task.train, task.batchSize, key.seed(), (steps + perEpoch - 1) / perEpoch, 0, task::prepare,
                () -> NOT_EVALUATED).secondBatchOrder(key.seed() + 1_000_003);
        double[] losses = new double[steps], lrs = new double[steps];
        long[] nanos = {0};
        int[] done = {0};
        String loadStart = loadAverage();
        long t0 = System.nanoTime();
        try (var cast = bf16 ? Autocast.bf16() : null) { // the whole step: forward, meta-step, curvature
            fit.run(Fit.Position.START, new Fit.Listener() {
                @Override
                public boolean stepped(Fit.Step st) {
                    int t = done[0]++;
                    losses[t] = st.loss();
                    lrs[t] = st.lr();
                    nanos[0] += st.nanos();
                    return done[0] < steps && Double.isFinite(st.loss()) && st.loss() <= DIVERGED;
                }
            });
        }
        int tail = Math.max(1, steps / 10);
        double finalLoss = Double.NaN, lrEnd = Double.NaN;
        if (done[0] == steps && Double.isFinite(losses[steps - 1]) && losses[steps - 1] <= DIVERGED) {
            finalLoss = 0;
            double logLr = 0;
            for (int t = steps - tail; t < steps; t++) {
                finalLoss += losses[t];
                logLr += Math.log(lrs[t]);
            }
            finalLoss /= tail;
            lrEnd = Math.exp(logLr / tail);
        }
        double metric = Double.NaN;
        if (key.evaluate() && Double.isFinite(finalLoss))
            try (var cast = bf16 ? Autocast.bf16() : null) { // evaluated in the precision it trained in
                metric = task.testMetric(model, learner.params());
            }
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put(Cell.FINAL_LOSS, finalLoss);
        scalars.put(Cell.TEST_METRIC, metric);
        scalars.put(Cell.STEP_MS, nanos[0] / 1e6 / Math.max(1, done[0]));
        scalars.put(Cell.LR_END, lrEnd);
        scalars.put(Cell.STEPS_DONE, (double) done[0]);
        scalars.put(Cell.WALL_S, (System.nanoTime() - t0) / 1e9);
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("loss", curve(losses, done[0], false));
        series.put("lr", curve(lrs, done[0], true));
        return new Cell(key, scalars, series, provenance(loadStart));
    }

    /** What {@link Fit} is given to run after each epoch: the study evaluates once, at the end of a run. */
    private static final Evaluation.Result NOT_EVALUATED = new Evaluation.Result(Double.NaN, Double.NaN);

    /** Means over CURVE_POINTS equal parts of the run (geometric for rates). */
    static double[] curve(double[] v, int n, boolean geometric) {
        int points = Math.min(CURVE_POINTS, n);
        double[] out = new double[points];
        for (int p = 0; p < points; p++) {
            int from = (int) ((long) p * n / points), to = (int) ((long) (p + 1) * n / points);
            double acc = 0;
            for (int i = from; i < to; i++) acc += geometric ? Math.log(v[i]) : v[i];
            acc /= Math.max(1, to - from);
            out[p] = geometric ? Math.exp(acc) : acc;
        }
        return out;
    }

    /**
     * APO-LR's amortized step time over its base SGD-momentum step (K = 10): rounds of 20 base
     * steps then 20 APO steps (two meta-steps) on the same batches, 5 to 40 rounds (about
     * 10 s); the ratio is the median over rounds of each round's APO time over its base time.
     * The two halves of a round run back to back, so load from other processes mostly lands
     * on both.
     */
    static Cell overhead(StudyTask task, Cell.Key key) {
        Module model = task.model(key.seed());
        ApoConfig c = ApoConfig.builder().divergence(task.divergence()).build();
        Learner base = Learner.of(Sgd.builder().lr(0.01).momentum(Learners.MOMENTUM).build(), task.objective(model));
        Learner apo = Learner.apo(ApoLr.over(Sgd.builder().lr(1).momentum(Learners.MOMENTUM).build(), c), task.objective(model), c);
        List<Batch> fixed = new ArrayList<>();
        for (Batch b : DataLoader.of(task.train, task.batchSize).shuffle(key.seed()).dropLast(true).epoch(0)) {
            if (fixed.size() == 20) break;
            fixed.add(task.prepare(b));
        }
        String loadStart = loadAverage();
        timeSteps(base, fixed); // warm
        timeSteps(apo, fixed);
        List<Double> ratios = new ArrayList<>();
        double baseMs = Double.MAX_VALUE, apoMs = Double.MAX_VALUE;
        long start = System.nanoTime();
        while (ratios.size() < 40 && (ratios.size() < 5 || System.nanoTime() - start < 10_000_000_000L)) {
            double b = timeSteps(base, fixed), a = timeSteps(apo, fixed);
            baseMs = Math.min(baseMs, b);
            apoMs = Math.min(apoMs, a);
            ratios.add(a / b);
        }
        Collections.sort(ratios);
        int n = ratios.size();
        double median = n % 2 == 1 ? ratios.get(n / 2) : (ratios.get(n / 2 - 1) + ratios.get(n / 2)) / 2;
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put("ratio", median);
        scalars.put("base_ms", baseMs);
        scalars.put("apo_ms", apoMs);
        scalars.put("rounds", (double) n);
        return new Cell(key, scalars, Map.of(), provenance(loadStart));
    }

    private static double timeSteps(Learner learner, List<Batch> batches) {
        long s = System.nanoTime();
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            learner.step(b.x(), b.y(), batches.get((i + 1) % batches.size()).x());
        }
        return (System.nanoTime() - s) / 1e6 / batches.size();
    }

    /** Where and when a cell ran: recorded, never keyed on. */
    private static Map<String, String> provenance(String loadStart) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("commit", gitCommit());
        info.put("cpu", cpuModel());
        info.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        info.put("load_start", loadStart);
        info.put("load_end", loadAverage());
        info.put("finished", Instant.now().toString());
        return info;
    }

    /** The 1-minute load average at this moment ("?" where /proc is not there). */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String cpu;

    static synchronized String cpuModel() {
        if (cpu == null) {
            cpu = System.getProperty("os.arch");
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                    if (line.startsWith("model name")) {
                        cpu = line.substring(line.indexOf(':') + 1).trim();
                        break;
                    }
            } catch (IOException | RuntimeException e) {
                // keep the architecture
            }
        }
        return cpu;
    }

    private static String commit;

    /** The checked-out commit (provenance only), "unknown" outside a git work tree. */
    static synchronized String gitCommit() {
        if (commit == null) {
            commit = "unknown";
            try {
                Process p = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes()).trim();
                if (p.waitFor() == 0 && out.matches("[0-9a-f]+")) {
                    commit = out;
                    Process d = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").redirectErrorStream(true).start();
                    String dirty = new String(d.getInputStream().readAllBytes()).trim();
                    if (d.waitFor() == 0 && !dirty.isEmpty()) commit += "+modified";
                }
            } catch (IOException | InterruptedException e) {
                // unknown
            }
        }
        return commit;
    }
}
