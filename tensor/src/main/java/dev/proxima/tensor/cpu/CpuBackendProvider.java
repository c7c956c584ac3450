package dev.proxima.tensor.cpu;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.BackendProvider;

/**
 * Registers the CPU backend through {@link java.util.ServiceLoader}, the way every other
 * backend is found, so that {@link dev.proxima.tensor.Device} never imports this package.
 */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String kind() {
        return "cpu";
    }

    @Override
    public Backend open(int index) {
        if (index != 0) throw new IllegalArgumentException("device cpu:" + index + ": there is one CPU device, cpu:0");
        return CpuBackend.INSTANCE;
    }
}
