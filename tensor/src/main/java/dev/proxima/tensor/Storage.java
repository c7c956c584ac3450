package dev.proxima.tensor;

/**
 * A flat buffer of elements owned by one backend. An {@link NDArray} is a strided view of a
 * storage; many views may share one storage. Storages are never resized; kernels write only
 * into storages they have just allocated, so a storage reachable by a user is never mutated
 * behind their back.
 */
public interface Storage {
    DType dtype();

    /** Number of elements. */
    int size();

    Backend backend();
}
