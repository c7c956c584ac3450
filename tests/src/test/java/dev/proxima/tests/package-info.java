/**
 * Cross-module property suites: every primitive and every public {@code Tensor} op against
 * float64 finite differences (order 1, and order 2 where twice differentiable), conventions at
 * singular points, error messages, graph lifetime and meta-gradients. The op-coverage test
 * fails when an op has no gradient check. The suites of {@code NDArray} and of Tensor's
 * compositions against plain reference arrays are here too, in the {@code dev.proxima.tensor}
 * package (for its package-private helpers), because they share the test kit, which depends
 * on tensor.
 */
package dev.proxima.tests;
