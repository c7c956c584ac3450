package dev.proxima.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG line plots through XChart (Java2D, headless), written to be read: numbers on every axis
 * (a log axis labels 1-9 times each power of ten, not only the powers, so a range inside one
 * decade still gets ticks), plain decimals with their leading zero, steps on the x axis from
 * 0, and series told apart by colour (one per method) and line style (one per variant of it:
 * train solid, test dashed with markers), always with a legend.
 */
final class Plots {
    private Plots() {}

    /** Colours for methods: blue, orange, green, red, purple, brown (the matplotlib cycle's first six). */
    static final List<Color> METHOD_COLOURS = List.of(new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b));

    /** A dashed line is drawn through at most this many points (see {@link #add}). */
    private static final int DASHED_POINTS = 50;

    /** How a series is drawn: the method's colour, and a solid or dashed line (the variant). */
    record Style(Color colour, boolean dashed, boolean markers) {
        static final Style SOLID = new Style(METHOD_COLOURS.get(0), false, false);
    }

    /** A named series of (x, y) points. */
    record Series(String name, double[] x, double[] y, Style style) {
        Series(String name, double[] x, double[] y) {
            this(name, x, y, Style.SOLID);
        }

        Series styled(Style s) {
            return new Series(name, x, y, s);
        }
    }

    /**
     * The plots of a run directory: {@code loss.png} (training loss per step, test loss at each
     * evaluation), {@code test-metric.png} when the task has a metric, {@code lr.png} for APO
     * (the learning rate it learned, per step).
     */
    static void forRun(Path dir, List<MetricsLog.Row> rows, String metricName, boolean apo) throws IOException {
        List<double[]> train = new ArrayList<>(), test = new ArrayList<>(), metric = new ArrayList<>(), lr = new ArrayList<>();
        for (MetricsLog.Row r : rows) {
            if (!Double.isNaN(r.trainLoss())) train.add(new double[] {r.step(), r.trainLoss()});
            if (!Double.isNaN(r.lr())) lr.add(new double[] {r.step(), r.lr()});
            if (!Double.isNaN(r.testLoss())) test.add(new double[] {r.step(), r.testLoss()});
            if (!Double.isNaN(r.testMetric())) metric.add(new double[] {r.step(), r.testMetric()});
        }
        Color c = METHOD_COLOURS.get(0);
        line(dir.resolve("loss.png"), "Loss", "step", "loss (log scale)", true,
                List.of(series("train", train).styled(new Style(c, false, false)), series("test", test).styled(new Style(c, true, true))));
        if (metricName != null && !metric.isEmpty())
            line(dir.resolve("test-metric.png"), "Test " + metricName, "step", metricName, false,
                    List.of(series("test " + metricName, metric).styled(new Style(c, true, true))));
        if (apo && !lr.isEmpty())
            line(dir.resolve("lr.png"), "Learning rate learned by APO", "step", "learning rate (log scale)", true,
                    List.of(series("lr", lr).styled(new Style(METHOD_COLOURS.get(1), false, false))));
    }

    /**
     * The demo's figure: the training loss of the best fixed rate and of APO-LR (each smoothed
     * over 20 steps) on the left axis, APO's learning rate on the right one (APO's colour, dashed).
     */
    static void demo(Path png, String fixedName, List<MetricsLog.Row> fixed, List<MetricsLog.Row> apo) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(560).title("Fashion-MNIST CNN: best fixed learning rate vs APO-LR")
                .xAxisTitle("step").yAxisTitle("training loss (mean of 20 steps)").build();
        readable(chart);
        Series f = smoothedLoss(fixedName, fixed).styled(new Style(METHOD_COLOURS.get(0), false, false));
        Series a = smoothedLoss("APO-LR", apo).styled(new Style(METHOD_COLOURS.get(1), false, false));
        for (Series s : List.of(f, a)) if (s.x().length > 0) add(chart, s);
        List<double[]> lr = new ArrayList<>();
        for (MetricsLog.Row r : apo) if (!Double.isNaN(r.lr())) lr.add(new double[] {r.step(), r.lr()});
        Series l = series("APO-LR learning rate (right axis, dashed)", lr).styled(new Style(METHOD_COLOURS.get(1), true, false));
        if (l.x().length > 0) {
            add(chart, l).setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "learning rate");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        save(chart, png);
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
        readable(chart);
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
            add(chart, new Series(s.name(), java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n), s.style()));
            any = true;
        }
        if (!any) return;
        if (logY) {
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisLogarithmicDecadeOnly(false); // 0.03, 0.04, 0.05: numbers inside a decade too
        }
        save(chart, png);
    }

    /** Axis and legend settings shared by every figure. */
    private static void readable(XYChart chart) {
        var st = chart.getStyler();
        st.setLegendVisible(true);
        st.setLegendPosition(Styler.LegendPosition.OutsideS); // below the plot: never over a curve
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        st.setXAxisMin(0.0); // steps from 0: ticks at round numbers (0, 100, 200), not 1, 14, 27
        // Decimal patterns, not formatting functions: with a function XChart drops its choice of
        // round tick steps. "0.#####": a leading zero (0.0135, not .0135), no trailing ones.
        st.setXAxisDecimalPattern("0");
        st.setYAxisDecimalPattern("0.#####");
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xdddddd));
    }

    private static XYSeries add(XYChart chart, Series s) {
        double[] x = s.x(), y = s.y();
        Style st = s.style();
        if (st.dashed() && x.length > DASHED_POINTS) {
            // XChart strokes each segment on its own, so a dash pattern restarts every segment
            // and a line of hundreds of short segments looks solid: draw a dashed one through
            // fewer points (every k-th, and the last), whose segments are long enough to show it.
            int k = (x.length + DASHED_POINTS - 1) / DASHED_POINTS, m = (x.length - 1) / k + 1;
            boolean last = (x.length - 1) % k != 0;
            double[] xs = new double[m + (last ? 1 : 0)], ys = new double[xs.length];
            for (int i = 0; i < m; i++) {
                xs[i] = x[i * k];
                ys[i] = y[i * k];
            }
            if (last) {
                xs[m] = x[x.length - 1];
                ys[m] = y[y.length - 1];
            }
            x = xs;
            y = ys;
        }
        boolean markers = st.markers() || (!st.dashed() && x.length <= 60);
        if (x.length > 2 && !markers) {
            // XChart labels an axis of equally spaced values (steps 1, 2, 3, ...) with every
            // k-th value (1, 14, 27, ...) instead of round numbers. A point added halfway along
            // the first segment (on the line, so nothing drawn changes) makes the spacing
            // unequal, and the round-number ticks return. (Not where markers would show it.)
            x = withMidpoint(x);
            y = withMidpoint(y);
        }
        XYSeries xy = chart.addSeries(s.name(), x, y);
        xy.setLineColor(st.colour());
        xy.setMarkerColor(st.colour());
        xy.setLineStyle(st.dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {8f, 5f}, 0f)
                : new BasicStroke(2f));
        // Markers where points are few (a test metric per evaluation), or the series would be a dot.
        xy.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        return xy;
    }

    /** {@code a} with the mean of its first two values inserted between them. */
    private static double[] withMidpoint(double[] a) {
        double[] r = new double[a.length + 1];
        r[0] = a[0];
        r[1] = (a[0] + a[1]) / 2;
        System.arraycopy(a, 1, r, 2, a.length - 1);
        return r;
    }

    /** A tick label: at most 4 significant digits, plain decimals with their leading zero (0.0135, 2, 1500). */
    static String number(Double v) {
        if (v == null || !Double.isFinite(v)) return "";
        if (v == 0) return "0";
        BigDecimal d = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
        if (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) return String.format(java.util.Locale.ROOT, "%.3g", v);
        return d.toPlainString();
    }

    /** Written beside, then renamed: a plot is either the old one or the new one, never half. */
    private static void save(XYChart chart, Path png) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        try {
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Draws and encodes a small figure in memory on a daemon thread, so that Java2D's fonts
     * and the PNG encoder are set up before they are needed. Why: the first use of the fonts
     * registers a JVM shutdown hook, which fails ("Shutdown in progress") when that first use
     * is the Ctrl-C hook writing the plots of an interrupted run.
     */
    static void warmUp() {
        Thread t = new Thread(() -> {
            try {
                System.setProperty("java.awt.headless", "true");
                XYChart chart = new XYChartBuilder().width(120).height(80).title("warm-up").xAxisTitle("x").yAxisTitle("y").build();
                readable(chart);
                chart.getStyler().setYAxisLogarithmic(true);
                add(chart, new Series("s", new double[] {1, 2, 3}, new double[] {1, 2, 3}));
                BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            } catch (IOException | RuntimeException | LinkageError e) {
                // the plots will report their own failure when they are written
            }
        }, "proxima-plots-warm-up");
        t.setDaemon(true);
        t.start();
    }
}
