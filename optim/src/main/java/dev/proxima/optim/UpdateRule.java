package dev.proxima.optim;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;

/**
 * A pure optimizer in the style of optax's {@code GradientTransformation}: {@link #init}
 * makes the state for a parameter tree, {@link #update} maps (gradients, state, parameters)
 * to the next parameters and the next state. Nothing mutates its inputs, states are
 * immutable records of tensors, and every step is written in {@code Tensor} ops, so when a
 * hyperparameter tensor requires gradients (see {@link Hyper}) the new parameters are a
 * differentiable function of it — what APO's meta-gradient needs.
 *
 * <p>Lifecycle: {@code S s = rule.init(params)}; then per step
 * {@code Update<S> u = rule.update(grads, s, params); params = u.params(); s = u.state();}.
 * For the familiar mutable loop ({@code zeroGrad(); loss.backward(); step()}) wrap a rule in
 * an {@link Optimizer}. Gradient transforms (clipping, weight decay) run before a rule with
 * {@link Chain}.
 *
 * @param <S> the rule's state (an immutable record)
 */
public interface UpdateRule<S> {

    /** The state before the first step (zero buffers shaped like {@code params}, step 0). */
    S init(Params params);

    /**
     * One step. {@code grads} and {@code params} must be congruent (a missing gradient is an
     * error here: a state holds one step count for its whole tree, so a rule cannot skip part
     * of it; {@link Optimizer} skips parameters without a gradient, as PyTorch does, by keeping
     * one state per parameter). The result's parameters are congruent with them. Records a graph when gradients are enabled and a hyperparameter
     * (or a parameter, or a gradient) requires gradients; otherwise it computes plain values.
     */
    Update<S> update(Params grads, S state, Params params);

    /**
     * {@link #update} as a training loop takes it: outside any graph (nothing is
     * differentiated through a loop's step), with the next parameters detached so the next
     * step's gradient starts from fresh leaves. The one place a loop applies a rule: the
     * library's learners, the data-parallel trainer and Spark's driver all step through it.
     * The values are {@code update}'s, bit for bit.
     */
    default Update<S> step(Params grads, S state, Params params) {
        try (var off = Autograd.noGrad()) {
            Update<S> u = update(grads, state, params);
            return new Update<>(u.params().detach(), u.state());
        }
    }

    /**
     * The learning rate the next {@link #update} from {@code state} would use (the base rate
     * times its schedule), or NaN when the rule has none or it differs per parameter.
     */
    default double learningRate(S state) {
        return Double.NaN;
    }
}
