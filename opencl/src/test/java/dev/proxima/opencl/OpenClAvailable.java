package dev.proxima.opencl;

import dev.proxima.tensor.Device;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether an OpenCL device exists here. Tests that need one are reported as skipped, with the
 * reason, where it does not (never silently passed): JUnit tests call {@link #assume()},
 * jqwik containers add this class as a lifecycle hook.
 */
public final class OpenClAvailable implements SkipExecutionHook {
    private static volatile String unavailable;
    private static volatile OpenClBackend backend;

    static synchronized OpenClBackend backendOrNull() {
        if (backend == null && unavailable == null) {
            try {
                backend = (OpenClBackend) Device.opencl().backend();
                backend.warmUp();
                System.out.println("[opencl tests] running on " + backend + ", fp64 " + backend.supportsFloat64()
                        + ", matmul tiles " + backend.gemmConfig(dev.proxima.tensor.DType.FLOAT32));
            } catch (RuntimeException | LinkageError e) {
                unavailable = "no usable OpenCL device: " + e.getMessage();
                System.out.println("[opencl tests] SKIPPED: " + unavailable);
            }
        }
        return backend;
    }

    /** The backend of opencl:0, or aborts the calling JUnit test as skipped. */
    static OpenClBackend assume() {
        OpenClBackend b = backendOrNull();
        Assumptions.assumeTrue(b != null, () -> unavailable);
        return b;
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return backendOrNull() == null ? SkipResult.skip(unavailable) : SkipResult.doNotSkip();
    }
}
