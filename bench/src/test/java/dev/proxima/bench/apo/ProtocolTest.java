package dev.proxima.bench.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.bench.apo.Protocol.TaskResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol as a function of its cells: the selection rule and its extension, and a run
 * that stops and continues without rerunning a cell, on a synthetic "runner" whose loss is a
 * known function of the setting.
 */
class ProtocolTest {
    /** A synthetic loss: a bowl in log10(rate) around 10^optimum (per method), plus a seed-dependent wobble. */
    static double syntheticLoss(Cell.Key k, double optimum) {
        Setting s = Setting.parse(k.setting());
        double x = s.has("lr") ? Math.log10(s.get("lr")) : Math.log10(s.getOr("lambdaFsd", 1));
        return 1 + (x - optimum) * (x - optimum) + 1e-3 * k.seed();
    }

    static Cell fake(Cell.Key k, double optimum) {
        double loss = syntheticLoss(k, optimum);
        return new Cell(k, Map.of(Cell.FINAL_LOSS, loss, Cell.TEST_METRIC, k.evaluate() ? loss : Double.NaN, Cell.STEP_MS, 1.0, Cell.LR_END, 0.1,
                "ratio", 1.1, "rounds", 5.0, "apo_ms", 1.1, "base_ms", 1.0), Map.of(), Map.of("cores", "2"));
    }

    @Test
    void theLadderGoesOneThreeTen() {
        assertEquals(0.3, Protocol.up(0.1), 1e-15);
        assertEquals(1.0, Protocol.up(0.3), 1e-15);
        assertEquals(0.03, Protocol.down(0.1), 1e-15);
        assertEquals(0.1, Protocol.down(0.3), 1e-15);
        assertEquals(0.003, Protocol.down(Protocol.down(0.03)), 1e-15);
        assertEquals(3.0, Protocol.up(Protocol.up(0.3)), 1e-15);
    }

    @Test
    void aBestRateAtTheGridsEdgeExtendsTheGridUntilItIsInterior() {
        Protocol p = new Protocol(Protocol.Profile.FULL);
        StudyTask task = StudyTask.named("regression");
        // the bowl's bottom at 10^0.1 ≈ 1.26: the grid's top 0.3 is best, so 1 is added, then 3 (1 best, interior)
        TaskResult r = p.run(task, (t, k) -> fake(k, 0.1));
        assertTrue(r.complete(), r.pendingAt);
        List<Double> tried = new ArrayList<>();
        for (var s : r.selection.get(Method.SGD)) tried.add(s.setting().get("lr"));
        assertEquals(List.of(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), tried);
        assertEquals(1.0, r.selected.get(Method.SGD).get("lr"));
        // the decays' axes start at η* = 1: {1, 3, 10}; 1 is best and at the low edge, so 0.3 is added
        List<Double> cos = new ArrayList<>();
        for (var s : r.selection.get(Method.COSINE)) cos.add(s.setting().get("lr"));
        assertEquals(List.of(1.0, 3.0, 10.0, 0.3), cos);
        // at most MAX_EXTENSIONS: a bowl far beyond the grid stops after two
        TaskResult far = p.run(task, (t, k) -> fake(k, 3));
        assertEquals(6 + Protocol.MAX_EXTENSIONS, far.selection.get(Method.SGD).size());
        assertEquals(3.0, far.selected.get(Method.SGD).get("lr"));
        // the starting-rate runs are η*/10 and 10·η*
        assertEquals(0.1, r.robustness.get("low").setting().get("start"), 1e-15);
        assertEquals(10.0, r.robustness.get("high").setting().get("start"), 1e-15);
    }

    @Test
    void aStoppedRunContinuesWhereItStoppedAndNeverRerunsACell(@TempDir Path dir) {
        Protocol p = new Protocol(Protocol.Profile.FULL);
        StudyTask task = StudyTask.named("regression");
        CellStore store = new CellStore(dir);
        int[] runs = {0};
        int[] budget = {40};
        Protocol.Source limited = (t, k) -> store.get(k).orElseGet(() -> {
            if (budget[0]-- <= 0) return null; // "killed": no more cells this session
            runs[0]++;
            Cell c = fake(k, -1);
            store.put(c);
            return c;
        });
        TaskResult first = p.run(task, limited);
        assertFalse(first.complete());
        assertEquals(40, runs[0]);
        // report-only sees the same state and runs nothing
        TaskResult readOnly = p.run(task, (t, k) -> store.get(k).orElse(null));
        assertEquals(first.pendingAt, readOnly.pendingAt);
        budget[0] = Integer.MAX_VALUE;
        TaskResult rest = p.run(task, limited);
        assertTrue(rest.complete(), rest.pendingAt);
        int total = runs[0];
        assertEquals(store.all().size(), total, "every cell ran exactly once");
        TaskResult again = p.run(task, limited);
        assertEquals(total, runs[0], "a finished protocol reruns nothing");
        // the same answers as a run that was never stopped
        TaskResult straight = p.run(task, (t, k) -> fake(k, -1));
        assertEquals(straight.selected, again.selected);
        assertNotNull(again.overhead);
        assertEquals(straight.report.get(Method.APO_LR).lossMean(), again.report.get(Method.APO_LR).lossMean());
    }

    @Test
    void theReportIsGeneratedFromTheCellsAndPrintsResultLines(@TempDir Path dir) {
        Protocol p = new Protocol(Protocol.Profile.FULL);
        List<TaskResult> rs = new ArrayList<>();
        for (StudyTask t : StudyTask.all()) rs.add(p.run(t, (task, k) -> fake(k, -1)));
        String text = Report.text(p, rs, List.of());
        assertTrue(text.contains("the protocol is complete"), text);
        for (Claims.Verdict v : Claims.all(rs)) assertTrue(text.contains(v.claim() + ": **" + v.decision() + "**"), v.claim());
        List<String> lines = Report.resultLines(rs, true);
        assertEquals(4 * Method.values().length, lines.size());
        assertTrue(lines.get(0).matches("RESULT bench=apo task=regression method=sgd final_loss=\\S+ test_metric=\\S+ step_ms=\\S+ "
                + "final_loss_mean=\\S+ final_loss_sd=\\S+ test_metric_mean=\\S+ test_metric_sd=\\S+ seeds=3 setting=\\S+"), lines.get(0));
    }

    /** The real thing, small: the quick profile on the regression task, then again (nothing reruns). */
    @Test
    void theQuickProtocolRunsEndToEndAndResumes(@TempDir Path dir) throws Exception {
        Protocol p = new Protocol(Protocol.Profile.QUICK);
        List<TaskResult> rs = ApoStudy.run(p, List.of(StudyTask.named("regression")), dir, false);
        TaskResult r = rs.get(0);
        assertTrue(r.complete(), r.pendingAt);
        assertEquals(r.expected, new CellStore(dir.resolve("apo-study")).all().size());
        for (Method m : Method.values()) assertTrue(Double.isFinite(r.report.get(m).lossMean()), m.id);
        assertTrue(java.nio.file.Files.readString(dir.resolve("apo-study.md")).contains("## Claims"));
        assertTrue(java.nio.file.Files.size(dir.resolve("apo-study-regression-lr.png")) > 1000, "the learned-rate figure");
        java.nio.file.attribute.FileTime before = java.nio.file.Files.getLastModifiedTime(new CellStore(dir.resolve("apo-study")).pathOf(
                r.report.get(Method.APO_LR).cells().get(0).key()));
        List<TaskResult> again = ApoStudy.run(p, List.of(StudyTask.named("regression")), dir, false);
        assertEquals(r.report.get(Method.APO_LR).lossMean(), again.get(0).report.get(Method.APO_LR).lossMean());
        assertEquals(before, java.nio.file.Files.getLastModifiedTime(new CellStore(dir.resolve("apo-study")).pathOf(
                r.report.get(Method.APO_LR).cells().get(0).key())));
        assertTrue(Report.resultLines(rs, false).get(0).matches("RESULT bench=apo task=regression method=sgd final_loss=\\S+ test_metric=\\S+ step_ms=\\S+"),
                Report.resultLines(rs, false).get(0));
    }
}
