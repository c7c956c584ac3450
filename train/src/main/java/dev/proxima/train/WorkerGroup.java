package dev.proxima.train;

import dev.proxima.parallel.Collective;
import dev.proxima.parallel.DataParallelTrainer;
import dev.proxima.parallel.RingCollective;
import dev.proxima.parallel.ThreadCollective;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/**
 * Worker threads and their {@link Collective}s for a data-parallel learner in one process:
 * one thread per rank, since every rank blocks in an all-reduce until all have arrived. The
 * loop stays on the caller's thread and hands each step to the workers.
 */
public final class WorkerGroup implements AutoCloseable {
    /** How the workers exchange gradients. */
    public enum Transport {
        /** Shared memory ({@link ThreadCollective}). */
        THREAD,
        /** A TCP ring over 127.0.0.1 ({@link RingCollective#local}): the multi-process code path, on one machine. */
        RING
    }

    private final List<? extends Collective> group;
    private final ExecutorService pool;

    /** {@code workers} ranks on {@code transport}; a rank waits {@code timeout} for a slower one in an all-reduce. */
    public WorkerGroup(int workers, Transport transport, Duration timeout) {
        if (workers < 1) throw new IllegalArgumentException("WorkerGroup: workers must be >= 1, got " + workers);
        this.group = switch (transport) {
            case THREAD -> ThreadCollective.group(workers, timeout);
            case RING -> RingCollective.local(workers, timeout);
        };
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "proxima-train-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public int size() {
        return group.size();
    }

    public Collective collective(int rank) {
        return group.get(rank);
    }

    /** {@code work(rank)} on every worker at once, the results in rank order ({@link DataParallelTrainer#runOn}). */
    public <T> List<T> onEveryWorker(IntFunction<T> work) {
        return DataParallelTrainer.runOn(pool, group, c -> work.apply(c.rank()));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        group.forEach(Collective::close);
    }
}
