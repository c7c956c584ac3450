/**
 * NDArray, the Backend kernel SPI and the CPU backend. Depends on the JDK alone.
 *
 * <p>The Vector API is optional at run time ({@code requires static}): the SIMD kernels are
 * loaded reflectively only when {@code jdk.incubator.vector} is in the boot layer (java
 * {@code --add-modules jdk.incubator.vector}); otherwise the scalar kernels run. Backends,
 * the CPU's included, are found through {@link java.util.ServiceLoader}; the OpenCL module
 * provides the second one.
 */
module dev.proxima.tensor {
    requires static jdk.incubator.vector;
    requires java.logging;

    exports dev.proxima.tensor;
    exports dev.proxima.tensor.cpu;

    uses dev.proxima.tensor.BackendProvider;
    provides dev.proxima.tensor.BackendProvider with dev.proxima.tensor.cpu.CpuBackendProvider;
}
