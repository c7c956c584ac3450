package dev.proxima.cli;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of one epoch: a live bar (steps, loss, throughput, ETA, APO's learning rate) when
 * standard output is a terminal, otherwise a plain log line every so often and at the end,
 * so that a log file or CI output stays readable.
 */
final class Progress implements AutoCloseable {
    /** Plain mode: a line at least this often (and always at the end of the epoch). */
    private static final long PLAIN_EVERY_NANOS = 10_000_000_000L;

    private final String task;
    private final long total;
    private final PrintStream out;
    private final ProgressBar bar;
    private final long start = System.nanoTime();
    private long lastLine = start;
    private long done, skipped;
    private String extra = "";

    Progress(String task, long total, PrintStream out, boolean live) {
        this.task = task;
        this.total = total;
        this.out = out;
        this.bar = live ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(out))
                .setUpdateIntervalMillis(250).showSpeed().build() : null;
    }

    /** Whether standard output is a terminal (System.console() alone says so before JDK 22 only). */
    static boolean stdoutIsTerminal() {
        var console = System.console();
        if (console == null) return false;
        try {
            return (boolean) console.getClass().getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only when both streams are terminals
        }
    }

    /** Steps already done before this run (a resumed epoch): the bar starts there, rates count from now. */
    void skip(long steps) {
        if (steps <= 0) return;
        done = steps;
        skipped = steps;
        if (bar != null) bar.stepTo(steps);
    }

    /** One step done; {@code loss} the step's training loss, {@code lr} the learning rate in use (NaN: not shown). */
    void step(double loss, double lr, int examples) {
        done++;
        double secs = (System.nanoTime() - start) / 1e9;
        String lrPart = Double.isNaN(lr) ? "" : String.format(Locale.ROOT, " lr %.3g", lr);
        // The bar shows steps/s itself; a log line says examples/s.
        extra = bar != null ? String.format(Locale.ROOT, " loss %.4f%s", loss, lrPart)
                : String.format(Locale.ROOT, "loss %.4f%s, %.0f examples/s", loss, lrPart, examples * (done - skipped) / Math.max(secs, 1e-9));
        if (bar != null) {
            bar.setExtraMessage(extra);
            bar.stepTo(done);
        } else if (System.nanoTime() - lastLine >= PLAIN_EVERY_NANOS) {
            lastLine = System.nanoTime();
            line();
        }
    }

    private void line() {
        double secs = (System.nanoTime() - start) / 1e9;
        double eta = done == skipped ? Double.NaN : secs / (done - skipped) * (total - done);
        out.printf(Locale.ROOT, "%s: step %d/%d, %s, %.0f s elapsed%s%n", task, done, total, extra, secs,
                done < total ? String.format(Locale.ROOT, ", ETA %.0f s", eta) : "");
        out.flush();
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
        else line();
    }
}
