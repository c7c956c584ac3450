package dev.proxima.optim;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import java.util.List;
import java.util.Objects;

/**
 * A pure optimizer stage in the style of optax's {@code GradientTransformation}: {@link #init}
 * makes the state for a parameter tree, {@link #update} maps (updates, state, parameters) to
 * new updates and the next state. The first stage of a step receives the gradients; a rule
 * ({@link Sgd}, {@link Adam}, ...) returns the step to add to the parameters ({@code -lr * d}),
 * a transform ({@link ClipByGlobalNorm}, {@link WeightDecay}) returns the gradients changed.
 * Both are the same kind of thing, so a {@link Chain} composes any of them in any order, and
 * {@link Update#applyTo} adds the last stage's updates to the parameters: {@code p + u}.
 * Nothing mutates its inputs, states are immutable records of tensors, and every stage is
 * written in {@code Tensor} ops, so when a hyperparameter tensor requires gradients (see
 * {@link Hyper}) the updates are a differentiable function of it — what APO's meta-gradient
 * needs.
 *
 * <p>Lifecycle: {@code S s = rule.init(params)}; then per step
 * {@code Update<S> u = rule.update(grads, s, params); params = u.applyTo(params); s = u.state();},
 * or {@link #step}, which does both. For the familiar mutable loop
 * ({@code zeroGrad(); loss.backward(); step()}) wrap a rule in an {@link Optimizer}.
 *
 * <p>Why updates rather than the next parameters: a stage after the rule (a scaling, a
 * clipping of the step) and APO-LR's direction need the step itself, and recovering it as
 * {@code p - p'} would round it. Every rule writes its update as exactly the negation of the
 * term it subtracts, and IEEE rounding makes {@code p + (-x)} equal to {@code p - x}, so the
 * trajectories are those of the former "next parameters" contract bit for bit (AdamW's
 * decoupled decay is the one exception in form, see {@link Adam}).
 *
 * @param <S> the stage's state (an immutable record)
 */
public interface UpdateRule<S> {

    /** The state before the first step (zero buffers shaped like {@code params}, step 0). */
    S init(Params params);

    /**
     * One step of this stage. {@code updates} (the gradients, for the first stage of a step)
     * and {@code params} must be congruent (a missing gradient is an error here: a state
     * holds one step count for its whole tree, so a rule cannot skip part of it;
     * {@link Optimizer} skips parameters without a gradient, as PyTorch does, by keeping one
     * state per parameter). The result's updates are congruent with them. Records a graph
     * when gradients are enabled and a hyperparameter (or a parameter, or a gradient)
     * requires gradients; otherwise it computes plain values.
     */
    Update<S> update(Params updates, S state, Params params);

    /**
     * {@link #update} as a training loop takes it, applied: outside any graph (nothing is
     * differentiated through a loop's step), the next parameters {@code params + updates},
     * detached so the next step's gradient starts from fresh leaves. The one place a loop
     * applies a rule: the library's learners, the data-parallel trainer and Spark's driver
     * all step through it. The values are {@code update(...).applyTo(params)}'s, bit for bit.
     */
    default Step<S> step(Params grads, S state, Params params) {
        try (var off = Autograd.noGrad()) {
            Update<S> u = update(grads, state, params);
            return new Step<>(u.applyTo(params).detach(), u.state());
        }
    }

    /**
     * The learning rate the next {@link #update} from {@code state} would use (the base rate
     * times its schedule), or NaN when the stage has none or it differs per parameter.
     */
    default double learningRate(S state) {
        return Double.NaN;
    }

    /** This stage, then {@code next}: a {@link Chain}, e.g. {@code ClipByGlobalNorm.of(1.0).then(adam)}. */
    default Chain then(UpdateRule<?> next) {
        return Chain.of(List.of(this, next));
    }

    /**
     * What {@link #step} returns: the next parameters and the next state.
     *
     * @param params the parameters after the step (congruent with the step's input, detached)
     * @param state  the rule's state after the step
     * @param <S>    the rule's state type
     */
    record Step<S>(Params params, S state) {
        public Step {
            Objects.requireNonNull(params, "Step: params");
            Objects.requireNonNull(state, "Step: state");
        }
    }
}
