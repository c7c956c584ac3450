/** Tensor and reverse-mode automatic differentiation with higher-order gradients. */
package dev.proxima.autograd;
