/**
 * Pure functions of tensors used by the layers and training loops: {@link dev.proxima.nn.functional.Losses}
 * (mse, l1, huber, cross-entropy with label smoothing and ignore-index, nll, bceWithLogits,
 * KL divergence), each with PyTorch's definition and default (mean) reduction.
 */
package dev.proxima.nn.functional;
