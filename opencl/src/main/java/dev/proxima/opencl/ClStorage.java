package dev.proxima.opencl;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Storage;
import java.lang.ref.Cleaner;
import org.jocl.cl_mem;

/**
 * A device buffer of one dtype. {@code NDArray} has no close(), so the buffer goes back to the
 * backend's {@link BufferPool} when this storage becomes unreachable (a {@link Cleaner}),
 * or earlier through {@link #close()}; whichever comes first releases it, exactly once.
 * After close() the buffer may already hold another array's data, so every use of an array
 * that views a closed storage (a kernel, a download) is an IllegalStateException naming the
 * array; close() is for code that owns the storage outright (benchmarks, tight loops). CPU
 * storages have no close(): the garbage collector alone frees them, so they cannot be used
 * after release.
 */
public final class ClStorage extends Storage implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final OpenClBackend backend;
    private final DType dtype;
    private final int size;
    final cl_mem mem;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    ClStorage(OpenClBackend backend, DType dtype, int size, cl_mem mem) {
        this.backend = backend;
        this.dtype = dtype;
        this.size = size;
        this.mem = mem;
        // The action must not reference this storage, or it would never become unreachable.
        this.cleanable = CLEANER.register(this, new Release(backend.pool(), mem, bytes(dtype, size)));
    }

    static long bytes(DType dtype, int size) {
        return (long) dtype.byteSize() * size;
    }

    private record Release(BufferPool pool, cl_mem mem, long bytes) implements Runnable {
        @Override
        public void run() {
            pool.release(mem, bytes);
        }
    }

    /** Returns the buffer to the pool now. Idempotent. */
    @Override
    public void close() {
        closed = true;
        cleanable.clean();
    }

    /** True once {@link #close()} has returned the buffer. */
    public boolean isClosed() {
        return closed;
    }

    @Override public DType dtype() { return dtype; }
    @Override public int size() { return size; }
    @Override public Backend backend() { return backend; }

    @Override
    public String toString() {
        return "ClStorage(" + dtype + ", " + size + " elements, " + backend.device() + ")";
    }
}
