/**
 * Neural-network building blocks on {@code dev.proxima.autograd}: {@code Module} (named
 * parameters and buffers, a functional {@code apply(params, x)}), layers, losses,
 * initialization, data loading and safetensors checkpoints. Depends on the JDK and
 * {@code autograd} alone.
 */
package dev.proxima.nn;
