package dev.proxima.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Workers as threads of one JVM, sharing memory. An all-reduce is two barriers: every
 * worker publishes its buffer, then worker {@code c} sums chunk {@code c} of all buffers
 * (in the ring order {@link Collective} documents, so the bits equal those of a
 * {@link RingCollective} of the same size) and writes it into every buffer; chunks are
 * disjoint, so the workers reduce in parallel without locks.
 *
 * <p>A worker that does not arrive within the timeout makes the others fail with an error
 * naming it; a worker that closes early makes them fail at once.
 *
 * <pre>{@code
 * List<ThreadCollective> group = ThreadCollective.group(4);
 * // hand group.get(r) to worker thread r
 * }</pre>
 */
public final class ThreadCollective implements Collective {
    /** The default wait for a late worker: long, since it includes a peer's compute time. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private final Group group;
    private final int rank;
    private boolean closed;

    private ThreadCollective(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** {@code size} members of one group, member {@code r} for worker {@code r}. */
    public static List<ThreadCollective> group(int size) {
        return group(size, DEFAULT_TIMEOUT);
    }

    /** As {@link #group(int)}, waiting at most {@code timeout} for a late worker. */
    public static List<ThreadCollective> group(int size, Duration timeout) {
        if (size < 1) throw new IllegalArgumentException("ThreadCollective: size must be >= 1, got " + size);
        if (timeout.isNegative() || timeout.isZero())
            throw new IllegalArgumentException("ThreadCollective: timeout must be positive, got " + timeout);
        Group g = new Group(size, timeout.toNanos());
        List<ThreadCollective> members = new ArrayList<>(size);
        for (int r = 0; r < size; r++) members.add(new ThreadCollective(g, r));
        return List.copyOf(members);
    }

    @Override
    public int rank() { return rank; }

    @Override
    public int size() { return group.size; }

    @Override
    public void allReduceSum(float[] buffer) {
        Object[] bufs = publish(buffer, "allReduceSum(float[" + buffer.length + "])");
        int n = buffer.length, p = group.size, c = rank;
        int from = Chunks.start(n, p, c), to = Chunks.end(n, p, c);
        float[] acc = (float[]) bufs[c]; // chunk c of every buffer is touched by worker c alone
        for (int k = 1; k < p; k++) {
            float[] x = (float[]) bufs[(c + k) % p];
            for (int i = from; i < to; i++) acc[i] += x[i];
        }
        for (int r = 0; r < p; r++) if (r != c) System.arraycopy(acc, from, bufs[r], from, to - from);
        await("allReduceSum (end)");
    }

    @Override
    public void allReduceSum(double[] buffer) {
        Object[] bufs = publish(buffer, "allReduceSum(double[" + buffer.length + "])");
        int n = buffer.length, p = group.size, c = rank;
        int from = Chunks.start(n, p, c), to = Chunks.end(n, p, c);
        double[] acc = (double[]) bufs[c];
        for (int k = 1; k < p; k++) {
            double[] x = (double[]) bufs[(c + k) % p];
            for (int i = from; i < to; i++) acc[i] += x[i];
        }
        for (int r = 0; r < p; r++) if (r != c) System.arraycopy(acc, from, bufs[r], from, to - from);
        await("allReduceSum (end)");
    }

    @Override
    public void broadcast(float[] buffer, int root) {
        checkRoot(root);
        Object[] bufs = publish(buffer, "broadcast(float[" + buffer.length + "])");
        if (rank != root) System.arraycopy(bufs[root], 0, buffer, 0, buffer.length);
        await("broadcast (end)");
    }

    @Override
    public void broadcast(double[] buffer, int root) {
        checkRoot(root);
        Object[] bufs = publish(buffer, "broadcast(double[" + buffer.length + "])");
        if (rank != root) System.arraycopy(bufs[root], 0, buffer, 0, buffer.length);
        await("broadcast (end)");
    }

    @Override
    public void barrier() {
        checkOpen();
        await("barrier");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        group.fail("rank " + rank + " closed");
        group.barrier.reset(); // releases anyone waiting for this worker, with the cause above
    }

    @Override
    public String toString() {
        return "ThreadCollective[rank " + rank + " of " + group.size + "]";
    }

    private void checkRoot(int root) {
        if (root < 0 || root >= group.size)
            throw new IllegalArgumentException("ThreadCollective.broadcast: root " + root + " is not a rank of a group of " + group.size);
    }

    private void checkOpen() {
        if (closed) throw new CollectiveException("ThreadCollective rank " + rank + ": used after close");
        String f = group.failure.get();
        if (f != null) throw new CollectiveException("ThreadCollective rank " + rank + ": the group is broken: " + f);
    }

    /** Publishes this worker's buffer, waits for all, and checks that every buffer matches. */
    private Object[] publish(Object buffer, String op) {
        checkOpen();
        group.slots[rank] = buffer;
        await(op);
        Object[] bufs = group.slots.clone();
        for (int r = 0; r < bufs.length; r++) {
            if (bufs[r].getClass() != buffer.getClass() || java.lang.reflect.Array.getLength(bufs[r]) != java.lang.reflect.Array.getLength(buffer)) {
                String msg = op + ": rank " + r + " passed " + describe(bufs[r]) + " but rank " + rank + " passed " + describe(buffer);
                group.fail(msg);
                throw new CollectiveException("ThreadCollective rank " + rank + ": " + msg);
            }
        }
        return bufs;
    }

    private static String describe(Object array) {
        return array.getClass().getComponentType() + "[" + java.lang.reflect.Array.getLength(array) + "]";
    }

    private void await(String op) {
        long arrived = group.arrivals.incrementAndGet(rank);
        try {
            group.barrier.await(group.timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            StringBuilder late = new StringBuilder();
            for (int r = 0; r < group.size; r++)
                if (group.arrivals.get(r) < arrived) late.append(late.isEmpty() ? "" : ", ").append(r);
            group.fail("rank(s) " + late + " did not reach " + op + " within " + group.timeoutNanos / 1_000_000 + " ms");
            throw broken(op);
        } catch (BrokenBarrierException e) {
            // The worker that broke the barrier records why just after; wait briefly for it.
            for (int i = 0; i < 200 && group.failure.get() == null; i++) sleepQuietly();
            throw broken(op);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.fail("rank " + rank + " was interrupted in " + op);
            group.barrier.reset();
            throw broken(op);
        }
    }

    private CollectiveException broken(String op) {
        String f = group.failure.get();
        return new CollectiveException("ThreadCollective rank " + rank + ": " + op + " failed: " + (f != null ? f : "the group is broken"));
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Group {
        final int size;
        final long timeoutNanos;
        final CyclicBarrier barrier;
        final Object[] slots; // written by each worker at its own index before a barrier, read after it
        final AtomicLongArray arrivals; // barrier arrivals per rank, to name the one that is late
        final AtomicReference<String> failure = new AtomicReference<>();

        Group(int size, long timeoutNanos) {
            this.size = size;
            this.timeoutNanos = timeoutNanos;
            this.barrier = new CyclicBarrier(size);
            this.slots = new Object[size];
            this.arrivals = new AtomicLongArray(size);
        }

        void fail(String why) {
            failure.compareAndSet(null, why);
        }
    }
}
