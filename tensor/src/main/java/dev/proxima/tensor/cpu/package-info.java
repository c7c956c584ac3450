/**
 * The CPU backend: kernels over strided float32/float64/int32 storage, SIMD through the JDK
 * Vector API ({@code jdk.incubator.vector}) with a scalar fallback, a packed GEMM, and a
 * fork-join pool for large arrays. Registered through {@link dev.proxima.tensor.cpu.CpuBackendProvider};
 * nothing outside this package names these classes, so the core could run without them.
 */
package dev.proxima.tensor.cpu;
