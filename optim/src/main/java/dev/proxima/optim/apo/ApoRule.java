package dev.proxima.optim.apo;

import dev.proxima.autograd.Params;
import java.util.Map;

/**
 * A parametric update rule u_φ(θ, B) that {@link Apo} meta-learns. A step is split in two:
 * {@link #prepare} does everything that does not depend on φ (the base optimizer's direction
 * and its new state: momentum, second moments), {@link #apply} does the rest, θ − P_φ(d),
 * differentiably in φ. The split lets one prepared step serve both the lookahead (with φ
 * requiring grad) and the real step, and it states the rule's contract: the step is linear in
 * what φ scales or preconditions, and nothing in the state depends on φ.
 *
 * @param <S> the base optimizer's state (an immutable value; {@link Void} when there is none)
 */
public interface ApoRule<S> {

    /** The state before the first step. */
    S init(Params params);

    /** φ's starting value: a tree of leaves (they need not require gradients). */
    Params initMeta(Params params);

    /**
     * The φ-independent part of a step: the direction d (same names and shapes as the
     * parameters) and the base optimizer's next state. Written in Tensor ops, so that with
     * gradients that carry a graph (an unrolled lookahead) the direction carries it too.
     */
    Prepared<S> prepare(Params grads, S state, Params params);

    /** θ − P_φ(d): the new parameters, differentiable in {@code meta}. */
    Params apply(Params params, Params direction, Params meta);

    /** The meta-optimizer's step size for the meta-parameter {@code metaName}. */
    double metaLr(String metaName);

    /** The learning rate(s) φ amounts to, for listeners: a name (a layer, or "global") to η. */
    Map<String, Double> learningRates(Params meta);

    /** A step's φ-independent result. */
    record Prepared<S>(Params direction, S state) {}
}
