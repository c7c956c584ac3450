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
 */
final class BufferPool {
    private final cl_context context;
    private final long budget;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private long pooledBytes;
    private int live;

    BufferPool(cl_context context, long budgetBytes) {
        this.context = context;
        this.budget = budgetBytes;
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
                return q.pop();
            }
        }
        cl_mem m;
        try {
            m = clCreateBuffer(context, CL_MEM_READ_WRITE, size, null, null);
        } catch (CLException e) {
            // Out of device memory: give the pooled buffers back to the driver and retry once.
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
        }
        return m;
    }

    /** Returns a buffer of {@code bytes} (as asked) to the pool. */
    void release(cl_mem m, long bytes) {
        long size = sizeClass(bytes);
        boolean over;
        synchronized (this) {
            live--;
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
}
