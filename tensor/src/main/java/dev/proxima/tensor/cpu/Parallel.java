package dev.proxima.tensor.cpu;

/**
 * The CPU kernels' thread pool. Its size comes from the system property
 * {@code proxima.threads}, else the environment variable {@code PROXIMA_THREADS}, else the
 * number of available processors. Small arrays stay on the calling thread.
 */
public final class Parallel {
    private static final int THREADS = configuredThreads();

    private Parallel() {}

    /** The number of threads kernels may use. */
    public static int threads() {
        return THREADS;
    }

    private static int configuredThreads() {
        String v = System.getProperty("proxima.threads", System.getenv("PROXIMA_THREADS"));
        if (v == null || v.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalStateException("proxima.threads / PROXIMA_THREADS = '" + v + "': expected a positive integer");
    }
}
