package dev.proxima.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
