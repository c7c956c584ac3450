package dev.proxima.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Warm-up until the timing is stable, for every bench: a fixed count or a fixed time ended
 * once (1 run in 5 of {@code bench autograd chain}) before the JIT had compiled the kernels,
 * and the case read 0.5x instead of 10x. Runs go in windows of at least {@link #WINDOW_NANOS}
 * (and 3 runs); warm-up ends when the medians of two consecutive windows agree within
 * {@link #TOLERANCE}, after at least {@code minRuns} runs, or at the {@link #CAP_NANOS} cap.
 * How long it took is printed on stderr, so a figure taken after the cap is seen as such.
 */
final class Warmup {
    static final double TOLERANCE = 0.05;
    static final long WINDOW_NANOS = 500_000_000L, CAP_NANOS = 60_000_000_000L;

    private Warmup() {}

    /** Runs {@code run} (one timed call, which must include waiting for the device) until stable. */
    static void untilStable(String what, int minRuns, Runnable run) {
        long start = System.nanoTime();
        int runs = 0;
        double previous = Double.NaN;
        boolean stable = false;
        while (true) {
            long windowStart = System.nanoTime();
            double[] ms = new double[16];
            int n = 0;
            while (n < 3 || System.nanoTime() - windowStart < WINDOW_NANOS) {
                long t0 = System.nanoTime();
                run.run();
                if (n == ms.length) ms = Arrays.copyOf(ms, 2 * n);
                ms[n++] = (System.nanoTime() - t0) / 1e6;
            }
            runs += n;
            double median = median(Arrays.copyOf(ms, n));
            stable = Math.abs(median - previous) <= TOLERANCE * Math.min(median, previous);
            previous = median;
            if ((stable && runs >= minRuns) || System.nanoTime() - start > CAP_NANOS) break;
        }
        System.err.printf(Locale.ROOT, "  warm-up %s: %.1f s, %d runs, %s%n", what, (System.nanoTime() - start) / 1e9, runs,
                stable ? "stable within " + Math.round(TOLERANCE * 100) + "%" : "NOT stable at the " + CAP_NANOS / 1_000_000_000L + " s cap");
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
