package dev.proxima.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The CPU kernels' thread pool. Its size comes from the system property
 * {@code proxima.threads}, else the environment variable {@code PROXIMA_THREADS}, else the
 * number of available processors; {@link #setThreads} changes it in process. Small arrays
 * stay on the calling thread.
 *
 * <p>No result depends on the thread count: kernels split work so that every output element
 * gets the same operations in the same order whoever computes it (elementwise ops, GEMM's
 * rectangles of C, softmax rows), or split a reduction into blocks fixed by the shape and
 * combine them in a fixed tree ({@code CpuBackend.reduce}). Threads change only the speed.
 *
 * <p>A {@link ForkJoinPool} rather than a plain executor because a kernel may run inside a
 * pool thread (a user's parallel stream, or nested kernels): joining from a worker then
 * helps with the queued work instead of blocking a thread the work needs.
 */
public final class Parallel {
    /** 0 until first use; then the validated setting. */
    private static volatile int threads;

    /**
     * Elements below which elementwise work stays on the calling thread. Handing a task to
     * another core costs a few microseconds, which is the time one core needs for roughly
     * this many cheap elements; autograd's chains of small ops must never pay it.
     */
    static final int GRAIN = 32 * 1024;

    /** Created on first parallel use, so that small-array programs never start threads. */
    private static final class Pool {
        static final ForkJoinPool POOL = new ForkJoinPool(threads(), p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("proxima-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    /** The body of a parallel loop over {@code [from, to)}. */
    interface Range {
        void run(int from, int to);
    }

    private Parallel() {}

    /**
     * Sets the number of threads kernels split work into, for the whole JVM, and returns the
     * previous setting. Results are the same for any count (see the class comment); tests use
     * it to check exactly that, and a program sharing the machine may lower it. A pool
     * already started keeps its workers: more chunks than workers queue up, fewer leave some
     * idle.
     */
    public static int setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("setThreads: " + n + ": expected a positive number of CPU kernel threads");
        int before = threads();
        threads = n;
        return before;
    }

    /** The number of threads kernels may use. */
    public static int threads() {
        int t = threads;
        if (t == 0) threads = t = parseThreads(System.getProperty("proxima.threads"), System.getenv("PROXIMA_THREADS"));
        return t;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous
     * chunks, each worth at least {@code minWork} units, where one index is worth
     * {@code workPerIndex} units (say, the length of a row). Chunk starts are multiples of
     * {@code align}. With one chunk the body runs directly on the calling thread: no task,
     * no allocation.
     */
    static void forRange(int n, long workPerIndex, long minWork, int align, Range body) {
        int chunks = chunks(n, workPerIndex, minWork, align);
        if (chunks <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        int units = (n + align - 1) / align;
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = Math.min(n, (int) ((long) units * c / chunks) * align);
            int to = Math.min(n, (int) ((long) units * (c + 1) / chunks) * align);
            tasks[c - 1] = Pool.POOL.submit(() -> body.run(from, to));
        }
        body.run(0, Math.min(n, (int) ((long) units / chunks) * align));
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    /** How many chunks {@link #forRange} would use; callers that keep per-chunk partial results size them by it. */
    static int chunks(int n, long workPerIndex, long minWork, int align) {
        if (n <= align || threads() == 1) return 1;
        long total = (long) n * Math.max(workPerIndex, 1);
        long byWork = total / Math.max(minWork, 1);
        int units = (n + align - 1) / align;
        return (int) Math.max(1, Math.min(Math.min(threads(), byWork), units));
    }

    /**
     * The thread count from the system property (first) or the environment variable; the
     * processor count when both are unset. Validated at first use, so a bad value is an
     * IllegalArgumentException naming the setting at every kernel that needs threads, not an
     * ExceptionInInitializerError once.
     */
    static int parseThreads(String property, String env) {
        String v = property != null ? property : env;
        String name = property != null ? "-Dproxima.threads" : "PROXIMA_THREADS";
        if (v == null || v.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(name + "=" + v + ": expected a positive integer (the number of CPU kernel threads)");
    }
}
