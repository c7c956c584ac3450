/**
 * A second {@link dev.proxima.tensor.Backend} on OpenCL devices through JOCL: the same
 * primitive kernel set as the CPU, written as {@code .cl} sources under the resources of this
 * package, with a buffer pool and tuned GEMM settings. Found through
 * {@link java.util.ServiceLoader} when this jar is on the class path ({@code Device.opencl()}).
 */
package dev.proxima.opencl;
