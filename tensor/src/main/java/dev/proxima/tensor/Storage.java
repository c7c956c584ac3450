package dev.proxima.tensor;

/**
 * A flat buffer of elements owned by one backend. An {@link NDArray} is a strided view of a
 * storage; many views may share one storage. Storages are never resized; kernels write only
 * into storages they have just allocated, except {@link Backend#copyInto} and
 * {@link Backend#scatterAdd}, whose callers may also write into an array they hold.
 *
 * <p>Such an in-place write is counted: the storage's {@link #version()} goes up by one. An
 * autograd op that saves an array for its backward records the version, and the backward
 * refuses to run when it has moved (the rule would read values the forward never saw), as
 * PyTorch's version counters do. The counter belongs to the storage, so every view of it
 * shares one, as PyTorch's views do. One int per storage; kernels that fill a fresh result
 * bump it too, before anyone can have saved it, which costs nothing and changes nothing.
 */
public abstract class Storage {
    private volatile int version;

    protected Storage() {}

    public abstract DType dtype();

    /** Number of elements. */
    public abstract int size();

    public abstract Backend backend();

    /** How many in-place writes this storage has had since it was allocated. */
    public final int version() {
        return version;
    }

    /**
     * Counts an in-place write. Every backend kernel that writes into a storage it did not
     * just allocate calls it; so must code that writes through a raw buffer (for example
     * {@code CpuStorage.array()}) into an array a recorded graph may have saved.
     */
    public final void bumpVersion() {
        version++; // not atomic: two threads writing one storage at once is a race in the data already
    }
}
