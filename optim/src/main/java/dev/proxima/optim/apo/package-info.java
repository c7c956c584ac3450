/**
 * Amortized Proximal Optimization (Bae, Vicol, HaoChen, Grosse, NeurIPS 2022): {@link
 * dev.proxima.optim.apo.Apo} trains a model with a parametric update rule
 * ({@link dev.proxima.optim.apo.ApoLr}, {@link dev.proxima.optim.apo.ApoPrecond}) whose own
 * parameters are meta-learned online on a one-step proximal objective, with the meta-gradient
 * taken by autograd through the rule. Settings: {@link dev.proxima.optim.apo.ApoConfig}.
 * The model is a function {@code (Params, Tensor) -> Tensor}; nothing here imports nn.
 */
package dev.proxima.optim.apo;
