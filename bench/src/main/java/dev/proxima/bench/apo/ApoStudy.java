package dev.proxima.bench.apo;

import dev.proxima.bench.apo.Protocol.TaskResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./proxima bench apo [--quick | --protocol full [--report-only]] [--out DIR] [--tasks a,b]}:
 * does APO reproduce the paper's claims at CPU scale? The study's protocol ({@link Protocol},
 * declared in docs/APO.md) tunes every method by the same rule on selection seeds, runs the
 * selected settings on other seeds, and decides each claim by a pre-declared rule
 * ({@link Claims}) from the stored cells ({@link CellStore}); the report ({@link Report}) is
 * generated from the cells alone.
 *
 * <p>{@code --protocol full}: the study (hours on two cores), resumable: cells under
 * {@code OUT/apo-study/}, the report in {@code OUT/apo-study.md} (OUT: {@code docs} in the
 * repository). A finished cell is never rerun; a stopped run continues where it stopped.
 * {@code --report-only} regenerates the report from the cells without running anything.
 * {@code --quick} (the default): the same code with tiny budgets, one seed and two-point grids,
 * a few minutes, in a temporary directory unless {@code --out} names one. Both print
 * {@code RESULT bench=apo task=... method=... final_loss=... test_metric=... step_ms=...}
 * lines; the full protocol adds {@code final_loss_mean/sd} and {@code test_metric_mean/sd}.
 * {@code --measure}: every method's step time on every task (what the budgets were sized by).
 * {@code --verify}: runs no new cell; recomputes stored cells ({@link #verify}) and exits
 * non-zero when any number differs.
 */
public final class ApoStudy {
    private ApoStudy() {}

    static final String USAGE = "usage: ./proxima bench apo [--quick | --protocol full [--report-only | --verify]] [--out DIR] "
            + "[--tasks regression,autoencoder,charlm,cnn] | --measure [TASKS]";

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Protocol.Profile profile = Protocol.Profile.QUICK;
        boolean reportOnly = false, verify = false;
        Path out = null;
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> profile = Protocol.Profile.QUICK;
                case "--protocol" -> {
                    String name = i + 1 < args.length ? args[++i] : "";
                    if (!name.equals("full")) fail("bench apo: --protocol takes 'full', got '" + name + "'");
                    profile = Protocol.Profile.FULL;
                }
                case "--report-only" -> reportOnly = true;
                case "--verify" -> verify = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--tasks" -> only = List.of(args[++i].split(","));
                case "--measure" -> {
                    measure(i + 1 < args.length ? List.of(args[i + 1].split(",")) : null);
                    return;
                }
                case "--scalar" -> { }
                default -> fail("bench apo: unknown option '" + args[i] + "'");
            }
        }
        if (reportOnly && profile != Protocol.Profile.FULL) fail("bench apo: --report-only goes with --protocol full");
        if (verify && (reportOnly || profile != Protocol.Profile.FULL)) fail("bench apo: --verify goes with --protocol full, without --report-only");
        if (out == null)
            out = profile == Protocol.Profile.FULL ? (Files.isRegularFile(Path.of("proxima")) && Files.isDirectory(Path.of("docs")) ? Path.of("docs") : Path.of("."))
                    : Files.createTempDirectory("apo-quick");
        if (only != null) for (String n : only) StudyTask.named(n); // an unknown name is an error
        List<String> runs = only;
        if (verify) {
            List<StudyTask> tasks = new ArrayList<>();
            for (StudyTask t : StudyTask.all()) if (runs == null || runs.contains(t.name)) tasks.add(t);
            int differ = verify(tasks, new CellStore(out.resolve("apo-study")));
            System.exit(differ == 0 ? 0 : 1);
        }
        if (profile == Protocol.Profile.FULL) {
            // The report always covers every task (a claim is decided over all four); --tasks
            // says which tasks this process runs, the others are read from their stored cells.
            run(new Protocol(profile), StudyTask.all(), t -> runs == null || runs.contains(t.name), out, reportOnly);
        } else {
            List<StudyTask> tasks = new ArrayList<>();
            for (StudyTask t : StudyTask.all()) if (runs == null || runs.contains(t.name)) tasks.add(t);
            run(new Protocol(profile), tasks, out, reportOnly);
        }
    }

    private static void fail(String message) {
        System.err.println(message);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Runs (or, report-only, reads) the protocol on the tasks, writes the report, prints RESULT lines. */
    static List<TaskResult> run(Protocol protocol, List<StudyTask> tasks, Path out, boolean reportOnly) throws IOException {
        return run(protocol, tasks, t -> true, out, reportOnly);
    }

    /** As above; only the tasks {@code runs} accepts run missing cells, the others are read from the store. */
    static List<TaskResult> run(Protocol protocol, List<StudyTask> tasks, java.util.function.Predicate<StudyTask> runs, Path out, boolean reportOnly)
            throws IOException {
        CellStore store = new CellStore(out.resolve("apo-study"));
        Path report = out.resolve("apo-study.md");
        System.out.printf(Locale.ROOT, "bench apo: %s protocol%s, %d cores (%s); cells in %s%n", protocol.profile.name().toLowerCase(Locale.ROOT),
                reportOnly ? " (report only)" : "", Runtime.getRuntime().availableProcessors(), Runner.cpuModel(), store.dir().toAbsolutePath());
        long t0 = System.nanoTime();
        java.util.Set<String> checked = new java.util.HashSet<>();
        Protocol.Source stored = (task, key) -> store.get(key).orElse(null);
        Protocol.Source source = reportOnly ? stored : (task, key) -> store.get(key).orElseGet(() -> {
            try {
                task.ensureLoaded();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (checked.add(task.name + "@" + key.version())) checkNumerics(task, key.version(), store);
            Cell c = switch (key.method()) {
                case Runner.OVERHEAD -> Runner.overhead(task, key);
                case Runner.PYTORCH -> Runner.torch(task, key);
                default -> Runner.train(task, key);
            };
            store.put(c);
            if (key.method().equals(Runner.OVERHEAD)) {
                System.out.printf(Locale.ROOT, "cell %s overhead: APO-LR step / base step %.2fx (median of %.0f interleaved rounds; %.0f s so far)%n", task.name,
                        c.scalar("ratio"), c.scalar("rounds"), (System.nanoTime() - t0) / 1e9);
                return c;
            }
            System.out.printf(Locale.ROOT, "cell %s %s %s seed %d, %d steps: final loss %s, %s %s, %.2f ms/step (%.0f s; %.0f s so far)%n", task.name,
                    key.method(), key.setting(), key.seed(), key.steps(), Claims.g(c.scalar(Cell.FINAL_LOSS)), task.metricName,
                    Claims.g(c.scalar(Cell.TEST_METRIC)), c.scalar(Cell.STEP_MS), c.scalar(Cell.WALL_S), (System.nanoTime() - t0) / 1e9);
            return c;
        });
        // Every task has a place in the results from the start (pending until it runs), so a
        // report written between tasks decides each claim over all the tasks, not the finished ones.
        List<TaskResult> results = new ArrayList<>();
        for (StudyTask task : tasks) results.add(protocol.notStarted(task));
        for (int i = 0; i < tasks.size(); i++) {
            StudyTask task = tasks.get(i);
            TaskResult r = protocol.run(task, runs.test(task) ? source : stored);
            results.set(i, r);
            System.out.printf(Locale.ROOT, "%s: %s (%d of %d cells)%n", task.name, r.complete() ? "complete" : "pending at " + r.pendingAt, r.found, r.expected);
            if (!reportOnly) Report.write(report, Report.text(protocol, results, store.all()));
        }
        Report.write(report, Report.text(protocol, results, store.all()));
        Report.plots(out, results);
        boolean full = protocol.profile == Protocol.Profile.FULL;
        for (String l : Report.resultLines(results, full)) System.out.println(l);
        for (Claims.Verdict v : Claims.all(results)) System.out.println("claim " + v.claim() + ": " + v.decision());
        System.out.printf(Locale.ROOT, "bench apo: %.1f s; report in %s%n", (System.nanoTime() - t0) / 1e9, report.toAbsolutePath());
        return results;
    }

    /**
     * The guard that keeps a study version's cells comparable: before a task's first new cell,
     * its cheapest stored cell is run again and must come out bit-identical (losses, rates,
     * metric). Cells are keyed by {@link Protocol#STUDY_VERSION}, not by commit, so a change to
     * a kernel's summation order, an optimizer or a model would otherwise mix two numerics in
     * one study silently; here it stops the run, naming the cell, and the way out is to run
     * the study from the code it began on or to bump the version.
     */
    static void checkNumerics(StudyTask task, String version, CellStore store) {
        Cell stored = cheapest(store.all().stream().filter(c -> c.key().task().equals(task.name) && c.key().version().equals(version)));
        if (stored == null) return; // the task's first cell: nothing to compare with yet
        recompute(task, stored);
    }

    /**
     * The stored training cell of Proxima's that took the least time, or null: not a timing
     * cell, and not PyTorch's (its numbers are torch's; nothing here can recompute them).
     */
    private static Cell cheapest(java.util.stream.Stream<Cell> cells) {
        return cells.filter(c -> !c.key().method().equals(Runner.OVERHEAD) && !c.key().method().equals(Runner.PYTORCH))
                .min(java.util.Comparator.comparingDouble(c -> c.scalar(Cell.WALL_S))).orElse(null);
    }

    /** Runs {@code stored}'s configuration again; an error, naming the cell and the number, unless every number comes out the same. */
    static void recompute(StudyTask task, Cell stored) {
        Cell again = Runner.train(task, stored.key());
        for (String s : List.of(Cell.FINAL_LOSS, Cell.TEST_METRIC, Cell.LR_END))
            if (Double.compare(stored.scalar(s), again.scalar(s)) != 0) numericsDiffer(stored, s, stored.scalar(s), again.scalar(s));
        for (var e : stored.series().entrySet())
            if (!java.util.Arrays.equals(e.getValue(), again.series().get(e.getKey()))) numericsDiffer(stored, "series " + e.getKey(), Double.NaN, Double.NaN);
        System.out.printf(Locale.ROOT, "bench apo: %s's numerics checked: cell %s (version %s: %s %s seed %d, %d steps) recomputed bit-identically%n",
                task.name, stored.key().hash(), stored.key().version(), stored.key().method(), stored.key().setting(), stored.key().seed(), stored.key().steps());
    }

    /**
     * {@code --verify}: for each task and each study version among its stored cells, recomputes
     * the cheapest stored cell of every method (so every kind of learner is checked, not only
     * the one {@link #checkNumerics} happens to pick) and the cheapest one with a test metric
     * (so the evaluation is checked too), and prints one line per cell. Runs no new cell and
     * writes nothing. Returns the number of cells that came out differently.
     */
    static int verify(List<StudyTask> tasks, CellStore store) throws IOException {
        List<Cell> all = store.all();
        int checked = 0, differ = 0;
        for (StudyTask task : tasks) {
            java.util.Map<String, Cell> picked = new java.util.LinkedHashMap<>();
            List<Cell> own = all.stream().filter(c -> c.key().task().equals(task.name)).toList();
            for (String version : own.stream().map(c -> c.key().version()).distinct().sorted().toList()) {
                for (Method m : Method.values()) {
                    Cell c = cheapest(own.stream().filter(x -> x.key().version().equals(version) && x.key().method().equals(m.id)));
                    if (c != null) picked.putIfAbsent(c.key().hash(), c);
                }
                Cell evaluated = cheapest(own.stream().filter(x -> x.key().version().equals(version) && Double.isFinite(x.scalar(Cell.TEST_METRIC))));
                if (evaluated != null) picked.putIfAbsent(evaluated.key().hash(), evaluated);
            }
            if (picked.isEmpty()) {
                System.out.printf(Locale.ROOT, "bench apo: %s: no stored cells in %s%n", task.name, store.dir());
                continue;
            }
            task.ensureLoaded();
            for (Cell c : picked.values()) {
                checked++;
                try {
                    recompute(task, c);
                } catch (IllegalStateException e) {
                    differ++;
                    System.out.println(e.getMessage());
                }
            }
        }
        System.out.printf(Locale.ROOT, "bench apo: verify: %d of %d cells recomputed bit-identically%s%n", checked - differ, checked,
                differ == 0 ? "" : "; " + differ + " differ");
        return differ;
    }

    private static void numericsDiffer(Cell stored, String what, double was, double now) {
        throw new IllegalStateException(String.format(Locale.ROOT,
                "bench apo: this code's numerics differ from study version %s's: cell %s (%s %s %s seed %d, ran at commit %s) recomputed gives "
                        + "%s %s, stored %s. Run the study from the commit its cells ran at (docs/APO.md, 'Running the study'), or bump "
                        + "the version (Protocol.STUDY_VERSION, LOWPREC_VERSION) to start a new set of cells.",
                stored.key().version(), stored.key().hash(), stored.key().task(), stored.key().method(), stored.key().setting(), stored.key().seed(),
                stored.info().get("commit"), what, Double.isNaN(now) ? "differently" : Claims.g(now), Double.isNaN(was) ? "" : Claims.g(was)));
    }

    /** Per-step time of every method on every task: 10 warm-up steps, then 40 timed. */
    static void measure(List<String> only) throws IOException {
        for (StudyTask task : StudyTask.all()) {
            if (only != null && !only.contains(task.name)) continue;
            task.ensureLoaded();
            for (Method m : Method.values()) {
                Setting s = switch (m) {
                    case SGD, COSINE -> Setting.of("lr", 0.01);
                    case STEP_DECAY -> Setting.of("lr", 0.01, "drop1", 0.5, "drop2", 0.75);
                    case ADAM -> Setting.of("lr", 1e-3);
                    case KFAC -> Setting.of("lr", 0.01, "damping", 1e-2, "trueFisher", 1);
                    case APO_LR -> Setting.of("lambdaFsd", 1, "start", 0.01);
                    case APO_PRECOND -> Setting.of("lambdaFsd", 1, "start", 0.01, "metaLr", 1e-2);
                };
                Runner.train(task, new Cell.Key("measure", task.name, 10, m.id, s.toString(), 1, false));
                Cell c = Runner.train(task, new Cell.Key("measure", task.name, 40, m.id, s.toString(), 2, false));
                System.out.printf(Locale.ROOT, "MEASURE task=%s method=%s step_ms=%.2f loss=%.4g load=%s%n", task.name, m.id, c.scalar(Cell.STEP_MS),
                        c.scalar(Cell.FINAL_LOSS), c.info().get("load_end"));
            }
        }
    }
}
