package dev.proxima.opencl;

import static org.jocl.CL.*;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;

/**
 * Device buffers, recycled. Allocating a cl_mem is a driver call that may synchronize, and a
 * training loop frees and re-allocates the same sizes every step, so released buffers wait
 * here by size class (quarter steps between powers of two: at most 25% slack) and the next
 * request of that class takes one back.
 *
 * <p>Reusing a buffer is safe without waiting for the kernels that used it: every command
 * goes through one in-order queue, so whatever the new owner enqueues runs after them.
 * {@link #release} may run on the {@link java.lang.ref.Cleaner}'s thread; it makes no OpenCL
 * call unless the pool is over its byte budget.
 *
 * <p>The Java heap does not see device memory: a loop of large temporaries can fill the GPU
 * long before the collector runs and the Cleaner returns their buffers (seen on an H100: a
 * 64 MB add in a loop failed within a second). So, like {@code java.nio}'s direct buffers,
 * a request that would take the live bytes past {@code liveLimit} first runs the collector
 * and waits briefly for the Cleaner, and so does a request the driver refuses.
 */
final class BufferPool {
    private final cl_context context;
    private final long budget;
    private final long liveLimit;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private long pooledBytes;
    private long liveBytes;
    private int live;

    /**
     * @param budgetBytes    how many released bytes may wait in the pool
     * @param liveLimitBytes live bytes past which a new request first asks the collector to
     *                       reclaim unreachable arrays
     */
    BufferPool(cl_context context, long budgetBytes, long liveLimitBytes) {
        this.context = context;
        this.budget = budgetBytes;
        this.liveLimit = liveLimitBytes;
    }

    /** Bytes actually allocated for a request: 16 at least, then 4 classes per octave. */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, 16);
        long p = Long.highestOneBit(b);
        if (p == b) return b;
        long q = p / 4;
        return (b + q - 1) / q * q;
    }

    /** A buffer of at least {@code bytes} bytes (contents undefined). */
    cl_mem acquire(long bytes, String op) {
        long size = sizeClass(bytes);
        synchronized (this) {
            ArrayDeque<cl_mem> q = free.get(size);
            if (q != null && !q.isEmpty()) {
                pooledBytes -= size;
                live++;
                liveBytes += size;
                return q.pop();
            }
        }
        if (liveBytes() + pooledBytes() + size > liveLimit) reclaim(size);
        cl_mem m;
        try {
            m = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
        } catch (CLException e) {
            // Out of device memory: reclaim unreachable arrays, give the pooled buffers back
            // to the driver, and retry once.
            reclaim(size);
            trim(0);
            try {
                m = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
            } catch (CLException again) {
                throw new IllegalStateException("opencl " + op + ": cannot allocate " + size + " bytes on the device ("
                        + again.getMessage() + "); " + live() + " buffers are live", again);
            }
        }
        synchronized (this) {
            live++;
            liveBytes += size;
        }
        return m;
    }

    /**
     * Runs the collector and waits (up to about half a second, backing off) until the
     * Cleaner has brought the live bytes low enough for {@code size} more, then trims the
     * pool to make room. Returns either way: the allocation that follows says if it failed.
     */
    private void reclaim(long size) {
        System.gc();
        long sleep = 1;
        for (int i = 0; i < 9 && liveBytes() + size > liveLimit; i++) {
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            sleep *= 2;
        }
        if (liveBytes() + pooledBytes() + size > liveLimit) trim(Math.max(0, liveLimit - liveBytes() - size));
    }

    /** Returns a buffer of {@code bytes} (as asked) to the pool. */
    void release(cl_mem m, long bytes) {
        long size = sizeClass(bytes);
        boolean over;
        synchronized (this) {
            live--;
            liveBytes -= size;
            free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(m);
            pooledBytes += size;
            over = pooledBytes > budget;
        }
        if (over) trim(budget / 2);
    }

    /** Releases pooled buffers to the driver until at most {@code keep} bytes stay pooled. */
    void trim(long keep) {
        while (true) {
            cl_mem m;
            synchronized (this) {
                if (pooledBytes <= keep) return;
                Map.Entry<Long, ArrayDeque<cl_mem>> biggest = null;
                for (Map.Entry<Long, ArrayDeque<cl_mem>> e : free.entrySet())
                    if (!e.getValue().isEmpty() && (biggest == null || e.getKey() > biggest.getKey())) biggest = e;
                if (biggest == null) return;
                m = biggest.getValue().pop();
                pooledBytes -= biggest.getKey();
            }
            clReleaseMemObject(m);
        }
    }

    /** Buffers handed out and not yet released: the count tests watch for leaks. */
    synchronized int live() {
        return live;
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }
}
