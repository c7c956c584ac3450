package dev.proxima.nn.data;

import java.io.PrintStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A progress bar over any iteration, tqdm's role, for library users (the {@code proxima}
 * command has its own):
 *
 * <pre>{@code
 * var bar = Progress.over(DataLoader.of(train, 64).shuffle(0));
 * for (Batch b : bar) {
 *     ...
 *     bar.set("loss", loss.item());
 * }
 * }</pre>
 *
 * On a terminal it redraws one line ({@code epoch  37%|#######      | 350/938 [12 s<20 s, 29.1 it/s] loss=0.4123});
 * elsewhere (a log file, CI) it prints that line at every tenth of the total and at the end,
 * so a log stays short. An item counts as done when the loop asks for the next one, so the
 * values {@link #set} in the loop body show with the step they belong to. Writes to standard
 * error unless told otherwise; not thread-safe (one loop).
 */
public final class Progress<T> implements Iterable<T> {
    private final Iterable<T> items;
    private final long total;
    private String label = "";
    private PrintStream out = System.err;
    private boolean live = stderrIsTerminal();
    private final Map<String, Double> values = new LinkedHashMap<>();
    private long done, start, lastTenth = -1;

    private Progress(Iterable<T> items, long total) {
        this.items = items;
        this.total = total;
    }

    /** A bar over one epoch of {@code loader} (its {@link DataLoader#numBatches()} steps). */
    public static Progress<Batch> over(DataLoader loader) {
        return new Progress<>(loader, loader.numBatches());
    }

    /** A bar over {@code items}, of which there are {@code total} (0 or less: unknown, no percentage). */
    public static <T> Progress<T> over(Iterable<T> items, long total) {
        return new Progress<>(items, total);
    }

    /** The text before the bar. */
    public Progress<T> label(String label) {
        this.label = label;
        return this;
    }

    /** Where to write, and whether to redraw one line ({@code live}, a terminal) or print lines (a log). */
    public Progress<T> to(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
        return this;
    }

    /** Shows {@code name=value} after the bar from now on (tqdm's postfix), e.g. the loss of the step. */
    public void set(String name, double value) {
        values.put(name, value);
    }

    /** Items done so far. */
    public long done() {
        return done;
    }

    @Override
    public Iterator<T> iterator() {
        Iterator<T> it = items.iterator();
        done = 0;
        lastTenth = -1;
        start = System.nanoTime();
        return new Iterator<>() {
            boolean started, finished;

            @Override
            public boolean hasNext() {
                boolean more = it.hasNext();
                if (!more && !finished) {
                    finished = true;
                    if (started) done++;
                    render(true);
                }
                return more;
            }

            @Override
            public T next() {
                if (!hasNext()) throw new NoSuchElementException();
                if (started) {
                    done++;
                    render(false);
                }
                started = true;
                return it.next();
            }
        };
    }

    /** The bar as it stands: label, percentage, bar, counts, elapsed, ETA, rate, values. */
    public String line() {
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        StringBuilder sb = new StringBuilder();
        if (!label.isEmpty()) sb.append(label).append(' ');
        if (total > 0) {
            int width = 20, filled = (int) Math.min(width, done * width / total);
            sb.append(String.format(Locale.ROOT, "%3d%%|", done * 100 / total)).append("#".repeat(filled))
                    .append(" ".repeat(width - filled)).append("| ").append(done).append('/').append(total);
            String eta = done > 0 && done < total ? String.format(Locale.ROOT, "<%.0f s", secs / done * (total - done)) : "";
            sb.append(String.format(Locale.ROOT, " [%.0f s%s, %.1f it/s]", secs, eta, rate));
        } else {
            sb.append(done).append(String.format(Locale.ROOT, " [%.0f s, %.1f it/s]", secs, rate));
        }
        values.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s=%.4g", k, v)));
        return sb.toString();
    }

    private void render(boolean end) {
        if (live) {
            out.print("\r" + line() + (end ? System.lineSeparator() : ""));
            out.flush();
            return;
        }
        long tenth = total > 0 ? done * 10 / total : -1;
        if (end || (total > 0 && tenth > lastTenth && tenth < 10)) {
            lastTenth = tenth;
            out.println(line());
            out.flush();
        }
    }

    /** Whether standard error is a terminal (System.console() says so for both streams together before JDK 22). */
    private static boolean stderrIsTerminal() {
        var console = System.console();
        if (console == null) return false;
        try {
            return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
