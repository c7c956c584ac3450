/**
 * A second Backend through JOCL and .cl kernels. Nothing names its classes: the tensor module
 * finds it through {@link java.util.ServiceLoader} ({@code Device.opencl()}). JOCL's jar has
 * no module name of its own, so it is the automatic module {@code jocl} (named after its file).
 */
module dev.proxima.opencl {
    requires transitive dev.proxima.tensor;
    requires jocl;

    exports dev.proxima.opencl;

    provides dev.proxima.tensor.BackendProvider with dev.proxima.opencl.OpenClBackendProvider;
}
