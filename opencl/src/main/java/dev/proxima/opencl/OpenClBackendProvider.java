package dev.proxima.opencl;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.BackendProvider;

/** Registers {@code opencl:N} devices with {@link dev.proxima.tensor.Device} through ServiceLoader. */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public String kind() {
        return "opencl";
    }

    @Override
    public Backend open(int index) {
        return OpenClBackend.open(index);
    }
}
