/**
 * Side-by-side benchmarks ({@code ./proxima bench NAME}): sgemm, elementwise, reduce and
 * autograd, each timed in Proxima and in a peer (NumPy or PyTorch, run as a Python child
 * process from the scripts under this package's resources), printed as {@code RESULT} lines.
 */
package dev.proxima.bench;
