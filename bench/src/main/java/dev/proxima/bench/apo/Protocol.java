package dev.proxima.bench.apo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The study's protocol, declared in code exactly as docs/APO.md ("Study protocol") states it:
 * budgets, grids, seeds, the selection rule and its extension, the report runs. Everything
 * here is fixed before any report seed runs; nothing is changed afterwards.
 *
 * <p>The protocol is a deterministic function of the finished cells: {@link #run} asks a
 * {@link Source} for each cell it needs, in order; the source runs a missing cell (the full
 * run) or answers null (report-only, or a cell not yet run), and the protocol stops a task at
 * the first stage whose cells are not all there. So a stopped run continues where it stopped,
 * a finished cell is never rerun, and the report can be regenerated from the cells alone.
 */
final class Protocol {
    /**
     * The version of the study's numerics, part of every cell's key. Bump it when anything
     * that changes a cell's numbers changes (a task's data or model, a trainer, APO or an
     * optimizer's arithmetic, the batching); not for a change that leaves numbers alone.
     */
    static final String STUDY_VERSION = "1";

    /**
     * The low-precision table's cells (issue 22): their own version, because both of its
     * columns, float32 and bfloat16, must come from one code (the one with autocast), which is
     * newer than the code version 1's cells ran at.
     */
    static final String LOWPREC_VERSION = "lowprec-1";
    /** The task and the methods of the low-precision table: the two that precondition. */
    static final String LOWPREC_TASK = "autoencoder";
    static final List<Method> LOWPREC_METHODS = List.of(Method.KFAC, Method.APO_PRECOND);

    /**
     * Claim 7 at 6 epochs (docs/APO.md, amendment 2): the CNN's selected SGD-fixed, cosine and
     * APO-LR, and PyTorch on the same model, for {@link #SIX_EPOCH_STEPS} steps; their own
     * version, since they run on newer code than version 1's cells.
     */
    static final String SIX_EPOCH_VERSION = "cnn6-1";
    static final String SIX_EPOCH_TASK = "cnn";
    /** 6 epochs of the 60,000 training images at the CNN's batch of 32. */
    static final int SIX_EPOCH_STEPS = 11_250;
    static final List<Method> SIX_EPOCH_METHODS = List.of(Method.SGD, Method.COSINE, Method.APO_LR);
    /** PyTorch's recipe of the quoted 91.5%: SGD, momentum 0.9, lr 0.05. */
    static final Setting TORCH_SETTING = Setting.of("lr", 0.05, "momentum", 0.9);

    /** Where a cell comes from: run it, or look it up (null when it is not there). */
    interface Source {
        Cell get(StudyTask task, Cell.Key key);
    }

    /** A profile: the full study or the few-minute smoke run (same code, tiny budgets and grids). */
    enum Profile { FULL, QUICK }

    /** The selection rule's extension: a rate-like axis whose best value is at an edge gains the next value, at most this often. */
    static final int MAX_EXTENSIONS = 2;
    /** The fraction of the report budget each selection run gets (the same for every method). */
    static final double SELECTION_FRACTION = 0.25;
    /** APO's starting rate in the comparisons: the library's default. */
    static final double APO_START = 0.01;

    final Profile profile;
    final long[] selectionSeeds, reportSeeds;
    final double selectionFraction;

    Protocol(Profile profile) {
        this.profile = profile;
        boolean full = profile == Profile.FULL;
        selectionSeeds = full ? new long[] {1, 2, 3} : new long[] {1};
        reportSeeds = full ? new long[] {11, 12, 13} : new long[] {11};
        selectionFraction = full ? SELECTION_FRACTION : 0.5;
    }

    /**
     * One task's budget and grids. Rates are on the 1-3-10 ladder ({@link #up}, {@link #down});
     * the decays' rate axes are anchored at the selected fixed rate η*.
     *
     * @param steps        report budget (steps of one batch); selection runs take {@link #selectionFraction} of it
     * @param sgd          the fixed-rate grid (extended until the best is interior)
     * @param stepDrops    step decay: pairs (first, second) of milestones, fractions of the budget (×0.1 at each)
     * @param decayRates   how many ladder values from η* upward the decays' rate axes take (η*, up(η*), ...)
     * @param adam         Adam's rate grid
     * @param kfacLr       KFAC's rate grid (× {@code kfacDamping}); true Fisher
     * @param kfacDamping  KFAC's damping grid
     * @param lambdaFsd    APO-LR's λ_FSD grid
     * @param lambdaWsd    APO-LR's λ_WSD grid (× λ_FSD)
     * @param precondLambda APO-Precond's λ_FSD grid; null: APO-LR's selected λ_FSD alone (the reduced grids)
     * @param precondMetaLr APO-Precond's factor meta-rate grid (× λ_FSD)
     */
    record Plan(int steps, double[] sgd, double[][] stepDrops, int decayRates, double[] adam, double[] kfacLr, double[] kfacDamping,
                double[] lambdaFsd, double[] lambdaWsd, double[] precondLambda, double[] precondMetaLr) {}

    static final double[] SGD_GRID = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3};
    static final double[][] DROPS = {{0.5, 0.75}, {0.75, 0.9}};
    static final double[] ADAM_GRID = {3e-4, 1e-3, 3e-3, 1e-2};
    static final double[] KFAC_LR = {0.01, 0.03, 0.1}, KFAC_DAMPING = {1e-3, 1e-2, 1e-1};
    static final double[] LAMBDA_FSD = {0.1, 0.3, 1, 3};
    static final double[] PRECOND_LAMBDA = {0.3, 1, 3}, PRECOND_META_LR = {1e-3, 1e-2, 3e-2};

    Plan plan(StudyTask task) {
        if (profile == Profile.QUICK) {
            int steps = switch (task.name) {
                case "regression" -> 300;
                case "autoencoder" -> 120;
                default -> 60;
            };
            return new Plan(steps, new double[] {0.01, 0.1}, new double[][] {{0.5, 0.75}}, 1, new double[] {1e-3}, new double[] {0.03},
                    new double[] {1e-2}, new double[] {1}, new double[] {0}, new double[] {1}, new double[] {1e-2});
        }
        return switch (task.name) {
            case "regression" -> new Plan(4000, SGD_GRID, DROPS, 3, ADAM_GRID, KFAC_LR, KFAC_DAMPING, LAMBDA_FSD, new double[] {0, 0.01, 0.1},
                    PRECOND_LAMBDA, PRECOND_META_LR);
            case "autoencoder" -> new Plan(3000, SGD_GRID, DROPS, 3, ADAM_GRID, KFAC_LR, KFAC_DAMPING, LAMBDA_FSD, new double[] {0},
                    PRECOND_LAMBDA, PRECOND_META_LR);
            // The costliest two: the reduced grids declared in docs/APO.md.
            case "charlm" -> new Plan(2400, SGD_GRID, new double[][] {{0.5, 0.75}}, 2, new double[] {1e-3, 3e-3, 1e-2},
                    new double[] {0.01, 0.03}, new double[] {1e-2, 1e-1}, new double[] {0.3, 1, 3}, new double[] {0},
                    null, new double[] {1e-3, 1e-2, 3e-2});
            case "cnn" -> new Plan(2400, SGD_GRID, new double[][] {{0.5, 0.75}}, 2, new double[] {1e-3, 3e-3, 1e-2},
                    new double[] {0.01, 0.03}, new double[] {1e-2, 1e-1}, new double[] {0.3, 1, 3}, new double[] {0},
                    null, new double[] {1e-3, 1e-2, 3e-2});
            default -> throw new IllegalArgumentException("bench apo: no plan for task " + task.name);
        };
    }

    int selectionSteps(Plan p) {
        return Math.max(10, (int) Math.round(p.steps() * selectionFraction));
    }

    // ---- the 1-3-10 ladder -----------------------------------------------------------------

    /** The next value up the ladder 1, 3, 10, 30, ... (×3 from a 1, ×10/3 from a 3). */
    static double up(double v) {
        double e = Math.floor(Math.log10(v) + 1e-9), m = v / Math.pow(10, e);
        return m < 2 ? round(3 * Math.pow(10, e)) : round(Math.pow(10, e + 1));
    }

    /** The next value down the ladder. */
    static double down(double v) {
        double e = Math.floor(Math.log10(v) + 1e-9), m = v / Math.pow(10, e);
        return m < 2 ? round(3 * Math.pow(10, e - 1)) : round(Math.pow(10, e));
    }

    private static double round(double v) {
        return Double.parseDouble(String.format(java.util.Locale.ROOT, "%.6g", v));
    }

    // ---- results of a task ---------------------------------------------------------------

    /** Mean and sample sd of a method's report (or selection) cells at one setting. */
    record Summary(Setting setting, int n, double lossMean, double lossSd, double metricMean, double metricSd, double stepMs, double lrEnd,
                   List<Cell> cells) {
        static Summary of(Setting setting, List<Cell> cells) {
            double[] loss = cells.stream().mapToDouble(c -> c.scalar(Cell.FINAL_LOSS)).toArray();
            double[] metric = cells.stream().mapToDouble(c -> c.scalar(Cell.TEST_METRIC)).toArray();
            double[] ms = cells.stream().mapToDouble(c -> c.scalar(Cell.STEP_MS)).toArray();
            double[] lr = cells.stream().mapToDouble(c -> Math.log(c.scalar(Cell.LR_END))).toArray();
            return new Summary(setting, cells.size(), mean(loss), sd(loss), mean(metric), sd(metric), mean(ms), Math.exp(mean(lr)), cells);
        }

        /** The selection score: the mean final training loss, +∞ when a seed diverged. */
        double score() {
            return Double.isFinite(lossMean) ? lossMean : Double.POSITIVE_INFINITY;
        }
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** Sample standard deviation (n − 1); 0 for a single value. */
    static double sd(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    /** What the protocol found on one task (entries missing where cells are not there yet). */
    static final class TaskResult {
        final StudyTask task;
        final Plan plan;
        /** Per method, every setting tried in selection with its summary, in the order tried. */
        final Map<Method, List<Summary>> selection = new LinkedHashMap<>();
        /** Per method, the selected setting. */
        final Map<Method, Setting> selected = new LinkedHashMap<>();
        /** Per method, the report runs of its selected setting. */
        final Map<Method, Summary> report = new LinkedHashMap<>();
        /**
         * The low-precision table (autoencoder only): per method, its selected setting on the
         * report seeds in float32 and with bfloat16 matmuls, keyed "kfac/float32", "kfac/bf16", ...
         */
        final Map<String, Summary> lowPrecision = new LinkedHashMap<>();
        /**
         * The CNN's 6-epoch runs (amendment 2): the report seeds at {@link #SIX_EPOCH_STEPS},
         * keyed by method id, and PyTorch's under {@link Runner#PYTORCH}.
         */
        final Map<String, Summary> sixEpochs = new LinkedHashMap<>();
        /** APO-LR from η* ÷ 10 and 10·η* (report seeds), keyed "low" and "high". */
        final Map<String, Summary> robustness = new LinkedHashMap<>();
        Cell overhead;
        /** The tuned decay (step or cosine, the lower mean selection loss). */
        Method decay;
        /** Cells expected so far and found (progress). */
        int expected, found;
        String pendingAt;

        TaskResult(StudyTask task, Plan plan) {
            this.task = task;
            this.plan = plan;
        }

        boolean complete() {
            return pendingAt == null;
        }
    }

    /** Thrown inside {@link #run} when a stage's cells are not all there. */
    private static final class Pending extends RuntimeException {
        Pending(String stage) {
            super(stage, null, false, false);
        }
    }

    /** A task's place in the results before it has run. */
    TaskResult notStarted(StudyTask task) {
        TaskResult r = new TaskResult(task, plan(task));
        r.pendingAt = "not started";
        return r;
    }

    /** Runs (or reads) the protocol on one task. */
    TaskResult run(StudyTask task, Source source) {
        Plan p = plan(task);
        TaskResult r = new TaskResult(task, p);
        try {
            stages(task, p, source, r);
        } catch (Pending e) {
            r.pendingAt = e.getMessage();
        }
        return r;
    }

    private void stages(StudyTask task, Plan p, Source source, TaskResult r) {
        int sel = selectionSteps(p);
        // 1. the fixed rate
        Setting sgd = tune(task, source, r, Method.SGD, sel, settings(p.sgd(), v -> Setting.of("lr", v)), "lr");
        double eta = sgd.get("lr");
        // 2. the decays, their rate axes anchored at η*
        double[] decayRates = ladderFrom(eta, p.decayRates());
        List<Setting> step = new ArrayList<>();
        for (double[] d : p.stepDrops()) for (double lr : decayRates) step.add(Setting.of("lr", lr, "drop1", d[0], "drop2", d[1]));
        tune(task, source, r, Method.STEP_DECAY, sel, step, "lr");
        tune(task, source, r, Method.COSINE, sel, settings(decayRates, v -> Setting.of("lr", v)), "lr");
        // 3. Adam, KFAC
        tune(task, source, r, Method.ADAM, sel, settings(p.adam(), v -> Setting.of("lr", v)), "lr");
        List<Setting> kfac = new ArrayList<>();
        for (double d : p.kfacDamping()) for (double lr : p.kfacLr()) kfac.add(Setting.of("lr", lr, "damping", d, "trueFisher", 1));
        tune(task, source, r, Method.KFAC, sel, kfac, "lr");
        // 4. APO-LR, APO-Precond (start at the library's default rate)
        List<Setting> apo = new ArrayList<>();
        for (double w : p.lambdaWsd()) for (double l : p.lambdaFsd()) apo.add(Setting.of("lambdaFsd", l, "lambdaWsd", w, "start", APO_START));
        Setting apoLr = tune(task, source, r, Method.APO_LR, sel, apo, "lambdaFsd");
        List<Setting> pre = new ArrayList<>();
        double[] preLambda = p.precondLambda() != null ? p.precondLambda() : new double[] {apoLr.get("lambdaFsd")};
        for (double m : p.precondMetaLr()) for (double l : preLambda) pre.add(Setting.of("lambdaFsd", l, "metaLr", m, "start", APO_START));
        tune(task, source, r, Method.APO_PRECOND, sel, pre, "lambdaFsd");
        Method decay = r.selection.get(Method.STEP_DECAY).stream().filter(s -> s.setting().equals(r.selected.get(Method.STEP_DECAY)))
                .findFirst().orElseThrow().score() <= r.selection.get(Method.COSINE).stream()
                .filter(s -> s.setting().equals(r.selected.get(Method.COSINE))).findFirst().orElseThrow().score() ? Method.STEP_DECAY : Method.COSINE;
        r.decay = decay;
        // 5. the report runs: every method at its selected setting, the report seeds, the full budget
        for (Method m : Method.values()) r.report.put(m, summary(task, source, r, m, r.selected.get(m), p.steps(), reportSeeds, true));
        requireAll(r, "report runs");
        // 6. the starting rate: APO-LR at its selected λs from η*/10 and 10·η* (×100 apart)
        Setting apoSel = r.selected.get(Method.APO_LR);
        r.robustness.put("low", summary(task, source, r, Method.APO_LR, apoSel.with("start", down(down(eta))), p.steps(), reportSeeds, true));
        r.robustness.put("high", summary(task, source, r, Method.APO_LR, apoSel.with("start", up(up(eta))), p.steps(), reportSeeds, true));
        requireAll(r, "starting-rate runs");
        // 7. the overhead: APO-LR step over its base step, interleaved
        r.expected++;
        r.overhead = source.get(task, new Cell.Key(STUDY_VERSION, task.name, 20, Runner.OVERHEAD, "K=10", 1, false));
        if (r.overhead == null) throw new Pending("overhead timing");
        r.found++;
        // 8. the low-precision table: the preconditioning methods at their selected settings,
        // float32 and bfloat16 matmuls (Autocast.bf16 around the whole step), report seeds
        if (task.name.equals(LOWPREC_TASK)) {
            for (Method m : LOWPREC_METHODS)
                for (boolean bf16 : new boolean[] {false, true}) {
                    Setting s = bf16 ? r.selected.get(m).with(Runner.BF16, 1) : r.selected.get(m);
                    r.lowPrecision.put(m.id + (bf16 ? "/bf16" : "/float32"), summary(LOWPREC_VERSION, task, source, r, m, s, p.steps(), reportSeeds, true));
                }
            requireAll(r, "low-precision runs");
        }
        // 9. claim 7 at 6 epochs (the CNN): the selected settings, no new selection, and PyTorch
        if (task.name.equals(SIX_EPOCH_TASK) && profile == Profile.FULL) {
            for (Method m : SIX_EPOCH_METHODS)
                r.sixEpochs.put(m.id, summary(SIX_EPOCH_VERSION, task, source, r, m, r.selected.get(m), SIX_EPOCH_STEPS, reportSeeds, true));
            r.sixEpochs.put(Runner.PYTORCH, summary(SIX_EPOCH_VERSION, task, source, r, Runner.PYTORCH, TORCH_SETTING, SIX_EPOCH_STEPS, reportSeeds, true));
            requireAll(r, "6-epoch runs");
        }
    }

    private static void requireAll(TaskResult r, String stage) {
        if (r.found < r.expected) throw new Pending(stage);
    }

    private static List<Setting> settings(double[] values, Function<Double, Setting> make) {
        List<Setting> out = new ArrayList<>();
        for (double v : values) out.add(make.apply(v));
        return out;
    }

    /** η*, up(η*), ... ({@code n} values). */
    static double[] ladderFrom(double eta, int n) {
        double[] v = new double[n];
        v[0] = eta;
        for (int i = 1; i < n; i++) v[i] = up(v[i - 1]);
        return v;
    }

    /** A summary of {@code seeds} cells, or null (and counted missing) where one is not there. */
    private Summary summary(StudyTask task, Source source, TaskResult r, Method m, Setting s, int steps, long[] seeds, boolean evaluate) {
        return summary(STUDY_VERSION, task, source, r, m, s, steps, seeds, evaluate);
    }

    private Summary summary(String version, StudyTask task, Source source, TaskResult r, Method m, Setting s, int steps, long[] seeds, boolean evaluate) {
        return summary(version, task, source, r, m.id, s, steps, seeds, evaluate);
    }

    /** The same for a method named by its cell id ({@link Runner#PYTORCH} is no {@link Method}). */
    private Summary summary(String version, StudyTask task, Source source, TaskResult r, String method, Setting s, int steps, long[] seeds, boolean evaluate) {
        List<Cell> cells = new ArrayList<>();
        for (long seed : seeds) {
            r.expected++;
            Cell c = source.get(task, new Cell.Key(version, task.name, steps, method, s.toString(), seed, evaluate));
            if (c != null) {
                cells.add(c);
                r.found++;
            }
        }
        return cells.size() == seeds.length ? Summary.of(s, cells) : null;
    }

    /**
     * The selection rule: every setting on the selection seeds at the selection budget; the
     * best is the lowest mean final training loss (a diverged seed scores +∞; ties go to the
     * earlier setting). While the best setting's {@code axis} value is the largest (smallest)
     * among the settings that share its other values (and the axis has two values or more),
     * the next ladder value up (down) is added, at most {@link #MAX_EXTENSIONS} times.
     */
    private Setting tune(StudyTask task, Source source, TaskResult r, Method m, int steps, List<Setting> grid, String axis) {
        List<Summary> tried = new ArrayList<>();
        r.selection.put(m, tried);
        List<Setting> todo = new ArrayList<>(grid);
        for (int ext = 0; ; ext++) {
            boolean missing = false;
            for (Setting s : todo) {
                Summary sum = summary(task, source, r, m, s, steps, selectionSeeds, false);
                if (sum == null) missing = true;
                else tried.add(sum);
            }
            if (missing) throw new Pending("selection of " + m.id);
            Summary best = null;
            for (Summary s : tried) if (best == null || s.score() < best.score()) best = s;
            if (profile == Profile.QUICK || ext == MAX_EXTENSIONS || !Double.isFinite(best.score())) {
                r.selected.put(m, best.setting());
                return best.setting();
            }
            double v = best.setting().get(axis);
            double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
            for (Summary s : tried)
                if (sameExcept(s.setting(), best.setting(), axis)) {
                    lo = Math.min(lo, s.setting().get(axis));
                    hi = Math.max(hi, s.setting().get(axis));
                }
            if (lo == hi || (v > lo && v < hi)) { // a single value is no grid to extend
                r.selected.put(m, best.setting());
                return best.setting();
            }
            todo = List.of(best.setting().with(axis, v >= hi ? up(v) : down(v)));
        }
    }

    private static boolean sameExcept(Setting a, Setting b, String axis) {
        var x = new java.util.TreeMap<>(a.values());
        var y = new java.util.TreeMap<>(b.values());
        x.remove(axis);
        y.remove(axis);
        return x.equals(y);
    }

    /** The declared numbers, for the report's header. */
    String describe(StudyTask task) {
        Plan p = plan(task);
        return String.format(java.util.Locale.ROOT,
                "%d steps (selection %d); fixed %s; step decay rates η*…×%d ladder, drops %s; cosine same rates; Adam %s; KFAC lr %s × damping %s (true Fisher); "
                        + "APO-LR λ_FSD %s × λ_WSD %s; APO-Precond λ_FSD %s × meta-rate %s",
                p.steps(), selectionSteps(p), Arrays.toString(p.sgd()), p.decayRates(), Arrays.deepToString(p.stepDrops()), Arrays.toString(p.adam()),
                Arrays.toString(p.kfacLr()), Arrays.toString(p.kfacDamping()), Arrays.toString(p.lambdaFsd()), Arrays.toString(p.lambdaWsd()),
                p.precondLambda() == null ? "[APO-LR's selected]" : Arrays.toString(p.precondLambda()), Arrays.toString(p.precondMetaLr()));
    }
}
