package dev.proxima.bench.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.bench.apo.Claims.Outcome;
import dev.proxima.bench.apo.Claims.Verdict;
import dev.proxima.bench.apo.Protocol.Summary;
import dev.proxima.bench.apo.Protocol.TaskResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every claim's verdict computed from synthetic cells, each made to hold and to fail: the
 * verdicts come from the numbers, never from fixed text.
 */
class ClaimsTest {
    /** Three report cells with the given losses and metrics (and rate at the end). */
    static Summary summary(StudyTask task, Method m, Setting s, double[] loss, double[] metric, double lrEnd) {
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < loss.length; i++) {
            Map<String, Double> sc = new LinkedHashMap<>();
            sc.put(Cell.FINAL_LOSS, loss[i]);
            sc.put(Cell.TEST_METRIC, metric[i]);
            sc.put(Cell.STEP_MS, 1.0);
            sc.put(Cell.LR_END, lrEnd);
            cells.add(new Cell(new Cell.Key("1", task.name, 100, m.id, s.toString(), 11 + i, true), sc, Map.of(), Map.of("cores", "2")));
        }
        return Summary.of(s, cells);
    }

    static double[] around(double v) {
        return new double[] {v * 0.999, v, v * 1.001};
    }

    /** A finished task where APO-LR's loss is {@code apoLoss} and every other method's is 1. */
    static TaskResult task(StudyTask t, double apoLoss, double apoMetric) {
        TaskResult r = new TaskResult(t, new Protocol(Protocol.Profile.FULL).plan(t));
        for (Method m : Method.values()) {
            Setting s = m == Method.APO_LR ? Setting.of("lambdaFsd", 1, "start", 0.01) : Setting.of("lr", 0.1);
            boolean apo = m == Method.APO_LR;
            r.report.put(m, summary(t, m, s, around(apo ? apoLoss : 1), around(apo ? apoMetric : 0.5), 0.1));
            r.selected.put(m, s);
        }
        r.decay = Method.COSINE;
        return r;
    }

    static List<TaskResult> four(double[] apoLoss, double apoMetric) {
        List<TaskResult> out = new ArrayList<>();
        List<StudyTask> tasks = StudyTask.all();
        for (int i = 0; i < 4; i++) out.add(task(tasks.get(i), apoLoss[i], apoMetric));
        return out;
    }

    static Verdict find(List<Verdict> all, String prefix) {
        return all.stream().filter(v -> v.claim().startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void aComparisonIsBetterMatchingOrWorseByTheDeclaredTolerance() {
        assertEquals(Outcome.BETTER, Claims.Comparison.of(0.9, 0.01, 1.0, 0.01).outcome());
        assertEquals(Outcome.MATCHES, Claims.Comparison.of(0.995, 0.0, 1.0, 0.0).outcome()); // within 1% of B
        assertEquals(Outcome.WORSE, Claims.Comparison.of(1.05, 0.0, 1.0, 0.0).outcome());
        assertEquals(Outcome.MATCHES, Claims.Comparison.of(1.05, 0.1, 1.0, 0.1).outcome()); // within the pooled sd
        assertEquals(Outcome.WORSE, Claims.Comparison.of(Double.NaN, 0, 1.0, 0).outcome()); // a diverged A
    }

    @Test
    void claimOneHoldsOrFailsWithTheNumbers() {
        List<Verdict> good = Claims.all(four(new double[] {0.8, 0.8, 0.8, 1.2}, 0.5));
        assertEquals("holds", find(good, "1a.").decision());
        assertEquals(3, find(good, "1a.").satisfied());
        assertEquals("holds", find(good, "1b.").decision());
        List<Verdict> bad = Claims.all(four(new double[] {0.8, 0.8, 1.2, 1.2}, 0.5));
        assertEquals("does not hold", find(bad, "1a.").decision());
        assertEquals("does not hold", find(bad, "1b.").decision());
        List<Verdict> equal = Claims.all(four(new double[] {1, 1, 1, 1}, 0.5));
        assertEquals("does not hold", find(equal, "1a.").decision(), "matching is not beating");
        assertEquals("holds", find(equal, "1b.").decision());
        assertTrue(find(bad, "1a.").perTask().get(2).contains("worse"), find(bad, "1a.").perTask().get(2));
    }

    @Test
    void aPendingTaskLeavesTheClaimOpenWhileItCouldStillTipIt() {
        List<TaskResult> rs = four(new double[] {0.8, 0.8, 0.8, 0.8}, 0.5);
        rs.get(2).report.remove(Method.APO_LR);
        rs.get(3).report.remove(Method.APO_LR);
        assertEquals("pending", find(Claims.all(rs), "1a.").decision());
        rs.set(0, task(StudyTask.all().get(0), 1.2, 0.5));
        rs.set(1, task(StudyTask.all().get(1), 1.2, 0.5));
        rs.get(2).report.remove(Method.APO_LR);
        rs.get(3).report.remove(Method.APO_LR);
        assertEquals("does not hold", find(Claims.all(rs), "1a.").decision());
    }

    @Test
    void oneFinishedTaskOfFourDecidesNothingYet() {
        Protocol p = new Protocol(Protocol.Profile.FULL);
        List<TaskResult> rs = new ArrayList<>();
        for (StudyTask t : StudyTask.all()) rs.add(p.notStarted(t));
        rs.set(0, task(StudyTask.all().get(0), 0.8, 0.5));
        for (Verdict v : Claims.all(rs)) assertEquals("pending", v.decision(), v.claim());
    }

    @Test
    void theTestMetricFollowsItsDirection() {
        // accuracy (cnn, higher is better) 0.6 vs 0.5 is better; MSE / bits (lower) 0.6 vs 0.5 is worse
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.6);
        Verdict v = find(Claims.all(rs), "1c.");
        assertEquals(1, v.satisfied()); // only the cnn
        assertEquals("does not hold", v.decision());
        List<TaskResult> lower = four(new double[] {1, 1, 1, 1}, 0.4);
        assertEquals(3, find(Claims.all(lower), "1c.").satisfied());
        assertEquals("holds", find(Claims.all(lower), "1c.").decision());
    }

    @Test
    void theStartingRateClaimNeedsCloseRatesAndMatchingLosses() {
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.5);
        for (TaskResult r : rs) {
            StudyTask t = r.task;
            r.robustness.put("low", summary(t, Method.APO_LR, Setting.of("lambdaFsd", 1, "start", 0.003), around(1), around(0.5), 0.1));
            r.robustness.put("high", summary(t, Method.APO_LR, Setting.of("lambdaFsd", 1, "start", 0.3), around(1), around(0.5), 0.15));
        }
        assertEquals("holds", find(Claims.all(rs), "6.").decision());
        for (TaskResult r : rs)
            r.robustness.put("high", summary(r.task, Method.APO_LR, Setting.of("lambdaFsd", 1, "start", 0.3), around(1), around(0.5), 0.5));
        Verdict far = find(Claims.all(rs), "6.");
        assertEquals("does not hold", far.decision());
        assertTrue(far.perTask().get(0).contains("×5.00 apart"), far.perTask().get(0));
        for (TaskResult r : rs)
            r.robustness.put("high", summary(r.task, Method.APO_LR, Setting.of("lambdaFsd", 1, "start", 0.3), new double[] {1, Double.NaN, 1}, around(0.5), 0.1));
        Verdict diverged = find(Claims.all(rs), "6.");
        assertEquals("does not hold", diverged.decision());
        assertTrue(diverged.perTask().get(0).contains("a start diverged"), diverged.perTask().get(0));
    }

    @Test
    void theOverheadAndLambdaClaimsFollowTheNumbers() {
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.5);
        for (TaskResult r : rs) {
            r.overhead = new Cell(new Cell.Key("1", r.task.name, 20, Runner.OVERHEAD, "K=10", 1, false),
                    Map.of("ratio", 1.2, "rounds", 9.0, "apo_ms", 1.2, "base_ms", 1.0), Map.of(), Map.of("load_start", "1"));
            List<Summary> sel = new ArrayList<>();
            for (double l : new double[] {0.1, 0.3, 1, 3})
                sel.add(summary(r.task, Method.APO_LR, Setting.of("lambdaFsd", l, "lambdaWsd", 0, "start", 0.01), around(1 + l / 100), around(0.5), 0.1));
            r.selection.put(Method.APO_LR, sel);
            r.selected.put(Method.APO_LR, sel.get(0).setting());
        }
        assertEquals("holds", find(Claims.all(rs), "4.").decision());
        assertEquals("holds", find(Claims.all(rs), "5.").decision()); // spread 2.9%
        for (TaskResult r : rs) {
            r.overhead = new Cell(r.overhead.key(), Map.of("ratio", 1.6, "rounds", 9.0, "apo_ms", 1.6, "base_ms", 1.0), Map.of(), Map.of());
            r.selection.get(Method.APO_LR).set(3, summary(r.task, Method.APO_LR, Setting.of("lambdaFsd", 3, "lambdaWsd", 0, "start", 0.01),
                    around(2), around(0.5), 0.1));
        }
        assertEquals("does not hold", find(Claims.all(rs), "4.").decision());
        assertEquals("does not hold", find(Claims.all(rs), "5.").decision());
    }

    @Test
    void theCnnComparisonWithPyTorchIsOnlyJudgedAtAComparableBudget() {
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.92);
        assertTrue(find(Claims.all(rs), "7.").decision().startsWith("not comparable"), find(Claims.all(rs), "7.").decision());
        TaskResult cnn = rs.get(2);
        TaskResult tenEpochs = new TaskResult(cnn.task, new Protocol.Plan(10 * 60000 / cnn.task.batchSize, null, null, 0, null, null, null, null, null, null, null));
        tenEpochs.report.putAll(cnn.report);
        rs.set(2, tenEpochs);
        assertEquals("holds", find(Claims.all(rs), "7.").decision());
        tenEpochs.report.put(Method.APO_LR, summary(cnn.task, Method.APO_LR, Setting.of("lambdaFsd", 1, "start", 0.01), around(1), around(0.85), 0.1));
        assertEquals("does not hold", find(Claims.all(rs), "7.").decision());
    }

    /**
     * Amendment 2: at the version-1 budget the claim is not comparable, but the 6-epoch runs
     * decide it (APO-LR's mean accuracy against 91.0%, both ways); while one of them is missing
     * it is pending; a measured PyTorch mean far from the quoted 91.5% is said, not used.
     */
    @Test
    void theSixEpochRunsDecideTheCnnComparisonWithPyTorch() {
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.88);
        TaskResult cnn = rs.get(2);
        assertTrue(find(Claims.all(rs), "7.").decision().startsWith("not comparable"));
        Setting apo = Setting.of("lambdaFsd", 10, "start", 0.01);
        cnn.sixEpochs.put(Method.SGD.id, summary(cnn.task, Method.SGD, Setting.of("lr", 0.03), around(0.2), around(0.905), 0.03));
        cnn.sixEpochs.put(Method.COSINE.id, summary(cnn.task, Method.COSINE, Setting.of("lr", 0.03), around(0.15), around(0.915), 0.0));
        cnn.sixEpochs.put(Method.APO_LR.id, summary(cnn.task, Method.APO_LR, apo, around(0.2), around(0.912), 0.001));
        cnn.sixEpochs.put(Runner.PYTORCH, null);
        assertEquals("pending", find(Claims.all(rs), "7.").decision());
        cnn.sixEpochs.put(Runner.PYTORCH, summary(cnn.task, Method.SGD, Setting.of("lr", 0.05, "momentum", 0.9), around(0.2), around(0.915), 0.05));
        Verdict v = find(Claims.all(rs), "7.");
        assertEquals("holds", v.decision()); // 91.2% >= 91.0%
        assertTrue(v.perTask().stream().noneMatch(l -> l.contains("did not reproduce")), v.perTask().toString());
        cnn.sixEpochs.put(Method.APO_LR.id, summary(cnn.task, Method.APO_LR, apo, around(0.2), around(0.905), 0.001));
        cnn.sixEpochs.put(Runner.PYTORCH, summary(cnn.task, Method.SGD, Setting.of("lr", 0.05, "momentum", 0.9), around(0.2), around(0.90), 0.05));
        v = find(Claims.all(rs), "7.");
        assertEquals("does not hold", v.decision()); // 90.5% < 91.0%, whatever PyTorch measured
        assertTrue(v.perTask().stream().anyMatch(l -> l.contains("did not reproduce here: PyTorch measured 90.00%")), v.perTask().toString());
    }

    @Test
    void theDecayAndPrecondClaimsCompareTheRightMethods() {
        List<TaskResult> rs = four(new double[] {1, 1, 1, 1}, 0.5);
        for (TaskResult r : rs) {
            r.report.put(Method.COSINE, summary(r.task, Method.COSINE, Setting.of("lr", 0.3), around(0.7), around(0.5), 0.0));
            r.report.put(Method.APO_PRECOND, summary(r.task, Method.APO_PRECOND, Setting.of("lambdaFsd", 1), around(0.9), around(0.5), 0.1));
        }
        List<Verdict> v = Claims.all(rs);
        assertEquals("holds", find(v, "0.").decision()); // the decay beats the fixed rate
        assertEquals("does not hold", find(v, "2a.").decision()); // APO-LR (1) is worse than the decay (0.7)
        assertEquals("holds", find(v, "3a.").decision()); // APO-Precond (0.9) beats KFAC (1)
        for (TaskResult r : rs) r.decay = Method.STEP_DECAY; // the selected decay is step (1): APO-LR matches it
        assertEquals("holds", find(Claims.all(rs), "2a.").decision());
        assertEquals("does not hold", find(Claims.all(rs), "0.").decision());
    }
}
