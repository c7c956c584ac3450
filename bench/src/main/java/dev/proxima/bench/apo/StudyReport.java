package dev.proxima.bench.apo;

import dev.proxima.bench.apo.ApoStudy.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The study's outputs: apo-study.md (tables and a claims check) and the PNG figures. */
final class StudyReport {
    private StudyReport() {}

    static void write(Path dir, Map<StudyTask, List<Run>> results, Map<StudyTask, ApoStudy.Overhead> overheads, double scale,
                      double totalSeconds) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# APO study: measured results\n\n");
        md.append(String.format(Locale.ROOT, "Written by `./proxima bench apo%s`; %d cores (%s), %.0f s in all. ",
                scale == 1 ? "" : scale < 1 ? " --quick" : " --long", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), totalSeconds));
        md.append("Every method starts from the same weights (seed ").append(ApoStudy.SEED)
                .append(") and sees the same batches for the same number of steps. `final loss`: mean training loss over the ")
                .append("last 10% of the steps; `step ms`: wall time of the training steps alone (no data loading, no ")
                .append("evaluation), amortized over the run; `× base`: step time over the best fixed SGD run's. ")
                .append("APO's meta-steps happen every K = 10 steps and are included in its step time.\n\n");
        for (var e : results.entrySet()) {
            StudyTask task = e.getKey();
            List<Run> runs = e.getValue();
            double baseMs = runs.get(0).stepMs();
            md.append("## ").append(task.name).append(" (").append(task.steps).append(" steps, batch ").append(task.batchSize)
                    .append("; test metric: ").append(task.metricName()).append(")\n\n");
            md.append("| method | final loss | test metric | step ms | × base | settings |\n|---|---|---|---|---|---|\n");
            for (Run r : runs)
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.method(), num(r.finalLoss()), num(r.testMetric()),
                        Double.isNaN(r.stepMs()) ? "—" : String.format(Locale.ROOT, "%.2f", r.stepMs()),
                        Double.isNaN(r.stepMs()) ? "—" : String.format(Locale.ROOT, "%.2f", r.stepMs() / baseMs),
                        r.diverged() && r.stepsDone() > 0 ? "diverged at step " + r.stepsDone() + "; " + r.detail() : r.detail()));
            ApoStudy.Overhead o = overheads.get(task);
            md.append(String.format(Locale.ROOT, "%nAPO-LR's amortized step over its base SGD-momentum step (K = 10), interleaved: **%.2fx** "
                    + "(median over %d rounds of 20 + 20 steps; fastest rounds %.2f ms vs %.2f ms).%n", o.ratio(), o.rounds(), o.apoMs(), o.baseMs()));
            md.append("\nAPO settings: `").append(ApoStudy.apoConfig(task)).append("`.\n");
            md.append("\n![").append(task.name).append(" loss](apo-study-").append(task.name).append("-loss.png)\n\n");
            lossPlot(dir, task, runs);
        }
        lrPlot(dir, results);
        md.append("![learning rates APO learned](apo-study-lr.png)\n\n");
        md.append(claims(results, overheads));
        Files.writeString(dir.resolve("apo-study.md"), md.toString());
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static Run find(List<Run> runs, String method) {
        for (Run r : runs) if (r.method().equals(method)) return r;
        throw new IllegalStateException(method);
    }

    /** The paper's claims as this run measured them (computed, not edited). */
    static String claims(Map<StudyTask, List<Run>> results, Map<StudyTask, ApoStudy.Overhead> overheads) {
        StringBuilder sb = new StringBuilder("## Claims, as measured in this run\n\n");
        int wins = 0, n = 0;
        StringBuilder detail = new StringBuilder();
        for (var e : results.entrySet()) {
            Run fixed = find(e.getValue(), "best-fixed"), apo = find(e.getValue(), "apo-lr");
            boolean win = !apo.diverged() && (fixed.diverged() || apo.finalLoss() <= fixed.finalLoss());
            wins += win ? 1 : 0;
            n++;
            detail.append(String.format(Locale.ROOT, "%s %s vs %s; ", e.getKey().name, num(apo.finalLoss()), num(fixed.finalLoss())));
        }
        sb.append(String.format(Locale.ROOT, "- APO-LR final loss <= best fixed rate's on >= 3 of 4 tasks: %d of %d (%s) — %s%n", wins, n,
                detail.toString().replaceAll("; $", ""), wins >= 3 && n == 4 ? "holds" : "does not hold"));
        StringBuilder pre = new StringBuilder();
        boolean allWithin = true, anyKfac = false;
        for (var e : results.entrySet()) {
            Run kfac = find(e.getValue(), "kfac"), precond = find(e.getValue(), "apo-precond");
            if (Double.isNaN(kfac.finalLoss()) && kfac.stepsDone() == 0) continue;
            anyKfac = true;
            double ratio = precond.finalLoss() / kfac.finalLoss();
            allWithin &= ratio <= 1.1;
            pre.append(String.format(Locale.ROOT, "%s %.2fx; ", e.getKey().name, ratio));
        }
        sb.append(anyKfac
                ? String.format(Locale.ROOT, "- APO-Precond final loss within 10%% of KFAC's (ratio APO-Precond / KFAC <= 1.10): %s — %s%n",
                        pre.toString().replaceAll("; $", ""), allWithin ? "holds" : "does not hold on every task")
                : "- APO-Precond within 10% of KFAC: not measured (KFAC did not run)\n");
        StringBuilder over = new StringBuilder();
        boolean allCheap = true;
        for (var e : results.entrySet()) {
            double ratio = overheads.get(e.getKey()).ratio();
            allCheap &= ratio <= 1.3;
            over.append(String.format(Locale.ROOT, "%s %.2fx; ", e.getKey().name, ratio));
        }
        sb.append(String.format(Locale.ROOT, "- APO-LR amortized step time <= 1.3x its base SGD-momentum's (K = 10; interleaved timing): %s — %s%n",
                over.toString().replaceAll("; $", ""), allCheap ? "holds" : "does not hold on every task"));
        for (var e : results.entrySet())
            if (e.getKey().name.equals("cnn")) {
                double acc = find(e.getValue(), "apo-lr").testMetric();
                sb.append(String.format(Locale.ROOT, "- Fashion-MNIST CNN >= 92%% test accuracy with APO-LR: %s — %s%n", num(acc),
                        acc >= 0.92 ? "holds" : "does not hold at this budget"));
            }
        return sb.append('\n').toString();
    }

    private static double[] smooth(double[] y, int n) {
        int w = Math.max(1, n / 50);
        double[] out = new double[n];
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += y[i];
            if (i >= w) acc -= y[i - w];
            out[i] = acc / Math.min(i + 1, w);
        }
        return out;
    }

    private static double[] steps(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i;
        return x;
    }

    private static XYChart chart(String title, String y, boolean logY) {
        XYChart c = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step").yAxisTitle(y).build();
        c.getStyler().setYAxisLogarithmic(logY);
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        c.getStyler().setMarkerSize(0);
        return c;
    }

    private static void lossPlot(Path dir, StudyTask task, List<Run> runs) throws IOException {
        XYChart c = chart(task.name + ": training loss (moving average)", "training loss", true);
        for (Run r : runs) {
            int n = r.stepsDone();
            if (n == 0) continue;
            double[] y = smooth(r.losses(), n);
            boolean positive = true;
            for (double v : y) positive &= v > 0 && Double.isFinite(v);
            if (!positive) continue; // a diverged run has no place on a log axis
            c.addSeries(r.method(), steps(n), y).setMarker(SeriesMarkers.NONE);
        }
        BitmapEncoder.saveBitmap(c, dir.resolve("apo-study-" + task.name + "-loss").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void lrPlot(Path dir, Map<StudyTask, List<Run>> results) throws IOException {
        XYChart c = chart("learning rate: APO-LR (solid) and APO-Precond's η, against the best fixed rate", "learning rate", true);
        for (var e : results.entrySet()) {
            for (String m : new String[] {"apo-lr", "apo-precond", "best-fixed"}) {
                Run r = find(e.getValue(), m);
                int n = r.stepsDone();
                if (n == 0) continue;
                double[] lr = java.util.Arrays.copyOf(r.lrs(), n);
                boolean positive = true;
                for (double v : lr) positive &= v > 0 && Double.isFinite(v);
                if (!positive) continue;
                c.addSeries(e.getKey().name + " " + m, steps(n), lr).setMarker(SeriesMarkers.NONE);
            }
        }
        BitmapEncoder.saveBitmap(c, dir.resolve("apo-study-lr").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
