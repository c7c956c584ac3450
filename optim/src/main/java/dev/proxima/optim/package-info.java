/**
 * Pure, differentiable update rules in the style of optax, schedules, KFAC, and (in
 * {@code dev.proxima.optim.apo}) APO, Amortized Proximal Optimization. A model reaches this
 * package only as a function of the parameter tree, so it never imports {@code dev.proxima.nn}.
 *
 * <ul>
 *   <li>{@link dev.proxima.optim.UpdateRule}: {@code init(params) -> state},
 *       {@code update(grads, state, params) -> Update(updates, state')}, applied as
 *       {@code params + updates} ({@link dev.proxima.optim.Update#applyTo}); states are immutable
 *       records. {@link dev.proxima.optim.Sgd}, {@link dev.proxima.optim.Adam} /
 *       {@link dev.proxima.optim.AdamW}, {@link dev.proxima.optim.RmsProp},
 *       {@link dev.proxima.optim.Adagrad} follow PyTorch's semantics and take every
 *       hyperparameter as a {@code double} or a {@link dev.proxima.optim.Hyper tensor}; with a
 *       tensor that requires gradients, the updates are differentiable in it.</li>
 *   <li>{@link dev.proxima.optim.GradientTransform}s ({@link dev.proxima.optim.ClipByGlobalNorm},
 *       {@link dev.proxima.optim.WeightDecay}) are stages of the same kind, which a
 *       {@link dev.proxima.optim.Chain} composes with rules in any order;
 *       {@link dev.proxima.optim.Schedules} scale a rule's learning rate by the step count.</li>
 *   <li>{@link dev.proxima.optim.Optimizer}: the mutable {@code zeroGrad(); loss.backward();
 *       step()} loop over any rule.</li>
 *   <li>{@link dev.proxima.optim.Kfac}: the Kronecker-factored second-order baseline, fed by
 *       {@link dev.proxima.autograd.LayerTap}s.</li>
 * </ul>
 */
package dev.proxima.optim;
