/**
 * Tensor and reverse-mode automatic differentiation with higher-order gradients.
 * {@link dev.proxima.autograd.Tensor} is the type users compute with and the one home of every
 * composition of primitives; {@link dev.proxima.autograd.Primitive} lists the recorded ops and
 * {@code Rules} holds one gradient rule per primitive, written in Tensor ops so that gradients
 * can be differentiated again. {@link dev.proxima.autograd.Autograd} computes gradients (grad,
 * vjp, jvp, hvp); {@link dev.proxima.autograd.Params} is the parameter tree shared by
 * {@code nn} and {@code optim}; {@link dev.proxima.autograd.GradCheck} checks gradients against
 * finite differences.
 */
package dev.proxima.autograd;
