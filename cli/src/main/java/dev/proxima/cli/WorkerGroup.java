package dev.proxima.cli;

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
 * The worker threads of {@code --workers N} and their {@link Collective}s (shared memory, or
 * a TCP ring over 127.0.0.1 for {@code --transport ring}): one thread per rank, since every
 * rank blocks in an all-reduce until all have arrived.
 */
final class WorkerGroup implements AutoCloseable {
    /** A worker waits this long for a slower one in an all-reduce before giving up. */
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final List<? extends Collective> group;
    private final ExecutorService pool;

    WorkerGroup(int workers, String transport) {
        this.group = switch (transport) {
            case TrainConfig.THREAD -> ThreadCollective.group(workers, TIMEOUT);
            case TrainConfig.RING -> RingCollective.local(workers, TIMEOUT);
            default -> throw new IllegalArgumentException("no transport '" + transport + "'");
        };
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "proxima-train-worker");
            t.setDaemon(true);
            return t;
        });
    }

    int size() {
        return group.size();
    }

    Collective collective(int rank) {
        return group.get(rank);
    }

    /** {@code work(rank)} on every worker at once, the results in rank order ({@link DataParallelTrainer#runOn}). */
    <T> List<T> onEveryWorker(IntFunction<T> work) {
        return DataParallelTrainer.runOn(pool, group, c -> work.apply(c.rank()));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        group.forEach(Collective::close);
    }
}
