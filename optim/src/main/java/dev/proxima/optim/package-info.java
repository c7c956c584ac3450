/**
 * Pure, differentiable update rules in the style of optax ({@code init(params) -> state},
 * {@code update(grads, state, params) -> (params', state')}), schedules, KFAC, and APO
 * (Amortized Proximal Optimization). A model reaches this package only as a function of the
 * parameter tree, so it never imports {@code dev.proxima.nn}.
 */
package dev.proxima.optim;
