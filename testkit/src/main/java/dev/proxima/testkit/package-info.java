/**
 * Test fixtures shared by the property suites of tensor ops, gradients and backend parity:
 * the table of op input domains ({@link dev.proxima.testkit.OpDomains}), the one random source
 * (a {@link java.util.SplittableRandom} seeded by jqwik), shape and view generators
 * ({@link dev.proxima.testkit.Gen}) and plain row-major reference arrays
 * ({@link dev.proxima.testkit.Ref}). A test dependency only: no main code uses it.
 */
package dev.proxima.testkit;
