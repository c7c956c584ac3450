package dev.proxima.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * metrics.csv: one row per training step ({@code step,epoch,train_loss,lr}) and, at the end
 * of each epoch, the test columns. Epochs are numbered from 1, as the console counts them
 * ("epoch 1/3"); the methods take the loop's 0-based index. Each row is flushed as it is written, so an interrupted
 * run keeps every row it logged; a resumed run first drops the rows past its checkpoint.
 */
final class MetricsLog implements AutoCloseable {
    static final String HEADER = "step,epoch,train_loss,lr,test_loss,test_metric,elapsed_s";

    /** One parsed row; NaN where a column is empty. */
    record Row(long step, int epoch, double trainLoss, double lr, double testLoss, double testMetric, double elapsed) {}

    private final BufferedWriter out;

    /** Opens {@code file}, keeping only the rows up to {@code keepThroughStep} (-1: start fresh). */
    MetricsLog(Path file, long keepThroughStep) throws IOException {
        List<String> kept = new ArrayList<>();
        kept.add(HEADER);
        if (keepThroughStep >= 0 && Files.exists(file)) {
            for (Row r : read(file)) if (r.step() <= keepThroughStep) kept.add(format(r));
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** A training step of epoch {@code epochIndex} (0-based; written 1-based). */
    void step(long step, int epochIndex, double loss, double lr, double elapsed) throws IOException {
        write(new Row(step, epochIndex + 1, loss, lr, Double.NaN, Double.NaN, elapsed));
    }

    /** The test metrics after epoch {@code epochIndex} (0-based; written 1-based). */
    void test(long step, int epochIndex, double testLoss, double testMetric, double elapsed) throws IOException {
        write(new Row(step, epochIndex + 1, Double.NaN, Double.NaN, testLoss, testMetric, elapsed));
    }

    private synchronized void write(Row r) throws IOException {
        out.write(format(r));
        out.newLine();
        out.flush();
    }

    private static String format(Row r) {
        return r.step() + "," + r.epoch() + "," + num(r.trainLoss()) + "," + num(r.lr()) + "," + num(r.testLoss()) + ","
                + num(r.testMetric()) + "," + String.format(Locale.ROOT, "%.3f", r.elapsed());
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    static List<Row> read(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            if (f.length != 7) continue; // a line cut short by a crash
            rows.add(new Row(Long.parseLong(f[0]), Integer.parseInt(f[1]), parse(f[2]), parse(f[3]), parse(f[4]), parse(f[5]), parse(f[6])));
        }
        return rows;
    }

    private static double parse(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
