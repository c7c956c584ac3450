package dev.proxima.nn.data;

import dev.proxima.tensor.Rng;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Batches of a {@link Dataset}, one epoch per {@link #iterator()}:
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.of(train, 128).shuffle(42).dropLast(true).prefetch(2);
 * for (int epoch = 0; epoch < 3; epoch++)
 *     for (Batch b : loader) step(b.x(), b.y());
 * }</pre>
 *
 * <p><b>Order.</b> Unshuffled, examples come in index order. Shuffled, epoch {@code e} visits
 * a permutation drawn from the {@code (e+1)}-th {@link Rng#split()} of {@code new Rng(seed)}:
 * a pure function of (seed, epoch), so it is the same whatever the thread count or the
 * prefetch depth, and {@link #epoch(int)} replays any epoch. Each {@link #iterator()} call
 * starts the next epoch (0, 1, 2, ...).
 *
 * <p><b>Prefetch.</b> With {@code prefetch(k)}, k > 0, a daemon thread assembles up to k
 * batches ahead into a bounded queue, so gathering overlaps training. The thread ends when
 * the epoch is consumed, when the iterator is {@linkplain BatchIterator#close() closed}, or,
 * for an iterator abandoned mid-epoch (a {@code break} out of a for-each), when the garbage
 * collector finds the iterator unreachable: the producer holds no reference to it, and a
 * {@link Cleaner} interrupts it. A failure in {@link Dataset#get} surfaces from {@code next()}.
 *
 * <p>Settings are immutable: {@code shuffle}, {@code dropLast} and {@code prefetch} return a
 * new loader.
 */
public final class DataLoader implements Iterable<Batch> {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int prefetch;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    private DataLoader(Dataset dataset, int batchSize, boolean shuffle, long seed, boolean dropLast, int prefetch) {
        if (batchSize <= 0) throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
        if (prefetch < 0) throw new IllegalArgumentException("DataLoader: prefetch must be >= 0, got " + prefetch);
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /** Batches of {@code batchSize} in index order, last batch kept, no prefetch. */
    public static DataLoader of(Dataset dataset, int batchSize) {
        return new DataLoader(dataset, batchSize, false, 0, false, 0);
    }

    /** The same loader, shuffled each epoch from {@code seed}. */
    public DataLoader shuffle(long seed) {
        return new DataLoader(dataset, batchSize, true, seed, dropLast, prefetch);
    }

    /** The same loader, dropping (or keeping) a last batch smaller than the batch size. */
    public DataLoader dropLast(boolean on) {
        return new DataLoader(dataset, batchSize, shuffle, seed, on, prefetch);
    }

    /** The same loader, assembling up to {@code batches} ahead on a background thread (0: none). */
    public DataLoader prefetch(int batches) {
        return new DataLoader(dataset, batchSize, shuffle, seed, dropLast, batches);
    }

    public Dataset dataset() { return dataset; }

    public int batchSize() { return batchSize; }

    /** Batches per epoch. */
    public int numBatches() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The order in which epoch {@code epoch} visits the examples (before dropping the last batch). */
    public int[] order(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("DataLoader: epoch must be >= 0, got " + epoch);
        int n = dataset.size();
        if (!shuffle) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            return p;
        }
        Rng root = new Rng(seed), r = null;
        for (int e = 0; e <= epoch; e++) r = root.split();
        return r.permutation(n);
    }

    /** Epoch {@code epoch}'s batches (replayable; does not advance the epoch counter). */
    public Iterable<Batch> epoch(int epoch) {
        int[] order = order(epoch);
        return () -> new BatchIterator(dataset, order, batchSize, numBatches(), prefetch);
    }

    /** The next epoch's batches. */
    @Override
    public BatchIterator iterator() {
        return new BatchIterator(dataset, order(nextEpoch.getAndIncrement()), batchSize, numBatches(), prefetch);
    }

    @Override
    public String toString() {
        return "DataLoader(" + dataset.size() + " examples, batchSize=" + batchSize
                + ", shuffle=" + (shuffle ? "seed " + seed : "off") + ", dropLast=" + dropLast + ", prefetch=" + prefetch + ")";
    }

    static int[] batchIndices(int[] order, int batchSize, int k) {
        int from = k * batchSize;
        return Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
    }

    /** One epoch's batches. Close it to stop its prefetch thread early. */
    public static final class BatchIterator implements Iterator<Batch>, AutoCloseable {
        private final Dataset dataset;
        private final int[] order;
        private final int batchSize;
        private final int count;
        private final Prefetcher prefetcher; // null without prefetch
        private final Cleaner.Cleanable cleanable;
        private int taken;

        BatchIterator(Dataset dataset, int[] order, int batchSize, int count, int prefetch) {
            this.dataset = dataset;
            this.order = order;
            this.batchSize = batchSize;
            this.count = count;
            if (prefetch > 0 && count > 0) {
                prefetcher = new Prefetcher(dataset, order, batchSize, count, prefetch);
                cleanable = CLEANER.register(this, prefetcher::stop);
                prefetcher.thread.start();
            } else {
                prefetcher = null;
                cleanable = null;
            }
        }

        @Override
        public boolean hasNext() {
            return taken < count;
        }

        @Override
        public Batch next() {
            if (taken >= count) throw new NoSuchElementException("DataLoader: the epoch's " + count + " batches are consumed");
            if (prefetcher == null) return dataset.get(batchIndices(order, batchSize, taken++));
            Object item;
            try {
                item = prefetcher.queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("DataLoader: interrupted while waiting for batch " + taken, e);
            }
            if (item instanceof Failure f) {
                close();
                if (f.error instanceof RuntimeException re) throw re;
                if (f.error instanceof Error er) throw er;
                throw new IllegalStateException("DataLoader: batch " + taken + " failed", f.error);
            }
            if (++taken == count) close();
            return (Batch) item;
        }

        /** Stops the prefetch thread (if any); idempotent. */
        @Override
        public void close() {
            if (cleanable != null) cleanable.clean();
        }

        /** The prefetch thread, for tests. */
        Thread producer() {
            return prefetcher == null ? null : prefetcher.thread;
        }
    }

    private record Failure(Throwable error) {}

    /**
     * The background half of a prefetching iterator. It references the dataset and the queue
     * but never the iterator, so an abandoned iterator can be collected and its cleaner can
     * stop this thread.
     */
    private static final class Prefetcher implements Runnable {
        private final Dataset dataset;
        private final int[] order;
        private final int batchSize;
        private final int count;
        final BlockingQueue<Object> queue;
        final Thread thread;
        private volatile boolean stopped;

        Prefetcher(Dataset dataset, int[] order, int batchSize, int count, int depth) {
            this.dataset = dataset;
            this.order = order;
            this.batchSize = batchSize;
            this.count = count;
            this.queue = new ArrayBlockingQueue<>(depth);
            this.thread = new Thread(this, "proxima-dataloader-prefetch");
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                for (int k = 0; k < count && !stopped; k++) {
                    Object item;
                    try {
                        item = dataset.get(batchIndices(order, batchSize, k));
                    } catch (Throwable t) {
                        item = new Failure(t);
                    }
                    queue.put(item);
                    if (item instanceof Failure) return;
                }
            } catch (InterruptedException e) {
                // stopped: the consumer closed or abandoned the iterator
            }
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            queue.clear();
        }
    }
}
