package dev.proxima.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line plots through XChart (Java2D, headless). */
final class Plots {
    private Plots() {}

    /** A named series of (x, y) points. */
    record Series(String name, double[] x, double[] y) {}

    /**
     * The plots of a run directory: {@code loss.png} (training loss per step, test loss per
     * epoch), {@code test-metric.png} when the task has a metric, {@code lr.png} for APO (the
     * learning rate it learned, per step).
     */
    static void forRun(Path dir, List<MetricsLog.Row> rows, String metricName, boolean apo) throws IOException {
        List<double[]> train = new ArrayList<>(), test = new ArrayList<>(), metric = new ArrayList<>(), lr = new ArrayList<>();
        for (MetricsLog.Row r : rows) {
            if (!Double.isNaN(r.trainLoss())) train.add(new double[] {r.step(), r.trainLoss()});
            if (!Double.isNaN(r.lr())) lr.add(new double[] {r.step(), r.lr()});
            if (!Double.isNaN(r.testLoss())) test.add(new double[] {r.step(), r.testLoss()});
            if (!Double.isNaN(r.testMetric())) metric.add(new double[] {r.step(), r.testMetric()});
        }
        line(dir.resolve("loss.png"), "Loss", "step", "loss", true, List.of(series("train", train), series("test", test)));
        if (metricName != null && !metric.isEmpty())
            line(dir.resolve("test-metric.png"), "Test " + metricName, "step", metricName, false, List.of(series("test " + metricName, metric)));
        if (apo && !lr.isEmpty())
            line(dir.resolve("lr.png"), "Learning rate learned by APO", "step", "learning rate", true, List.of(series("lr", lr)));
    }

    /**
     * The demo's figure: the training loss of the best fixed rate and of APO-LR (each smoothed
     * over 20 steps) on the left axis, APO's learning rate on the right one.
     */
    static void demo(Path png, String fixedName, List<MetricsLog.Row> fixed, List<MetricsLog.Row> apo) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(560).title("Fashion-MNIST CNN: best fixed learning rate vs APO-LR")
                .xAxisTitle("step").yAxisTitle("training loss (mean of 20 steps)").build();
        Series f = smoothedLoss(fixedName, fixed), a = smoothedLoss("APO-LR", apo);
        for (Series s : List.of(f, a))
            if (s.x().length > 0) chart.addSeries(s.name(), s.x(), s.y()).setMarker(SeriesMarkers.NONE);
        List<double[]> lr = new ArrayList<>();
        for (MetricsLog.Row r : apo) if (!Double.isNaN(r.lr())) lr.add(new double[] {r.step(), r.lr()});
        Series l = series("APO-LR learning rate (right axis)", lr);
        if (l.x().length > 0) {
            XYSeries xy = chart.addSeries(l.name(), l.x(), l.y());
            xy.setMarker(SeriesMarkers.NONE);
            xy.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "learning rate");
            chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        }
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Series smoothedLoss(String name, List<MetricsLog.Row> rows) {
        List<double[]> points = new ArrayList<>();
        java.util.ArrayDeque<Double> window = new java.util.ArrayDeque<>();
        double sum = 0;
        for (MetricsLog.Row r : rows) {
            if (Double.isNaN(r.trainLoss())) continue;
            window.addLast(r.trainLoss());
            sum += r.trainLoss();
            if (window.size() > 20) sum -= window.removeFirst();
            points.add(new double[] {r.step(), sum / window.size()});
        }
        return series(name, points);
    }

    static Series series(String name, List<double[]> points) {
        double[] x = new double[points.size()], y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Series(name, x, y);
    }

    /** Writes a PNG with one line per series; {@code logY} for losses and learning rates. */
    static void line(Path png, String title, String xTitle, String yTitle, boolean logY, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(series.size() > 1);
        boolean any = false;
        for (Series s : series) {
            // A log axis takes positive finite values only: leave out the others.
            int n = 0;
            double[] x = new double[s.x().length], y = new double[s.y().length];
            for (int i = 0; i < x.length; i++) {
                double v = s.y()[i];
                if (Double.isFinite(v) && (!logY || v > 0)) {
                    x[n] = s.x()[i];
                    y[n++] = v;
                }
            }
            if (n == 0) continue;
            XYSeries xy = chart.addSeries(s.name(), java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n));
            xy.setMarker(s.x().length > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            any = true;
        }
        if (!any) return;
        chart.getStyler().setYAxisLogarithmic(logY);
        // Written beside, then renamed: a plot is either the old one or the new one, never half.
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
