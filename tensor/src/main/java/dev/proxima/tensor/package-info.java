/**
 * Arrays without gradients. {@link dev.proxima.tensor.NDArray} is a strided view of a
 * {@link dev.proxima.tensor.Storage} on a {@link dev.proxima.tensor.Device}: it holds storage,
 * views, argument checks and dispatch to the device's {@link dev.proxima.tensor.Backend},
 * the primitive kernel set a new backend implements. Compositions of primitives (mean,
 * logsumexp, conv2d, pooling, ...) are not here; they live once, in
 * {@code dev.proxima.autograd.Tensor}. Also here: dtypes, the op enums
 * ({@link dev.proxima.tensor.UnaryOp}, {@link dev.proxima.tensor.BinaryOp},
 * {@link dev.proxima.tensor.ReduceOp}), shape helpers, convolution and pooling specs, and the
 * seeded {@link dev.proxima.tensor.Rng}. Depends on the JDK alone; backends are found through
 * {@link dev.proxima.tensor.BackendProvider} and never imported.
 */
package dev.proxima.tensor;
