package dev.proxima.tensor;

/**
 * Service-provider hook for optional backends (OpenCL). Registered in
 * {@code META-INF/services/dev.proxima.tensor.BackendProvider} of the backend's jar.
 */
public interface BackendProvider {
    /** The device kind this provider opens, e.g. {@code opencl}. */
    String kind();

    /** Opens device number {@code index}; throws with the devices found when it does not exist. */
    Backend open(int index);
}
