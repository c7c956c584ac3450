package dev.proxima.optim;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Parameterized;
import dev.proxima.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The mutable wrapper that gives a pure {@link UpdateRule} PyTorch's training loop:
 * <pre>{@code
 *   Optimizer opt = new Optimizer(Adam.builder().lr(1e-3).build(), model);
 *   for (Batch b : loader) {
 *       opt.zeroGrad();
 *       Tensor loss = lossOf(model.forward(b.x()), b.y());
 *       loss.backward();
 *       opt.step();
 *   }
 * }</pre>
 * It holds the current parameters (leaves that require gradients) and the rule's state.
 * {@link #step()} reads each leaf's accumulated {@link Tensor#grad()} (zero where there is
 * none), runs the rule under {@link Autograd#noGrad()}, and replaces the parameters with new
 * leaves that require gradients: tensors are values, so "updating in place" means handing
 * out the new tree, through {@link #params()} and the optional listener (a module's
 * {@code setParams}). Not thread-safe; one optimizer per training loop.
 */
public final class Optimizer {
    private final Bound<?> bound;
    private final Consumer<Params> listener;
    private Params params;
    private long steps;

    /**
     * An optimizer over a model's parameters (an nn {@code Module}) that hands it the new ones
     * after every step: {@code new Optimizer(rule, model.params(), model::setParams)}.
     */
    public Optimizer(UpdateRule<?> rule, Parameterized model) {
        this(rule, Objects.requireNonNull(model, "Optimizer: model").params(), model::setParams);
    }

    /** An optimizer over {@code params}; read the new parameters from {@link #params()}. */
    public Optimizer(UpdateRule<?> rule, Params params) {
        this(rule, params, null);
    }

    /**
     * An optimizer over {@code params} that hands every new tree to {@code listener} (e.g.
     * {@code module::setParams}). Parameters that are not leaves requiring gradients are
     * replaced by such leaves at once, and the listener is told.
     */
    public Optimizer(UpdateRule<?> rule, Params params, Consumer<Params> listener) {
        Objects.requireNonNull(rule, "Optimizer: rule");
        Objects.requireNonNull(params, "Optimizer: params");
        this.listener = listener;
        boolean allLeaves = true;
        for (Tensor t : params.values()) allLeaves &= t.isLeaf() && t.requiresGrad();
        this.params = allLeaves ? params : params.map(t -> t.isLeaf() && t.requiresGrad() ? t : t.requiresGrad(true));
        this.bound = bind(rule, this.params);
        if (!allLeaves && listener != null) listener.accept(this.params);
    }

    private static <S> Bound<S> bind(UpdateRule<S> rule, Params params) {
        try (Autograd.Scope s = Autograd.noGrad()) {
            return new Bound<>(rule, rule.init(params));
        }
    }

    /** The current parameters (leaves that require gradients). */
    public Params params() {
        return params;
    }

    /** Clears every parameter's accumulated gradient. */
    public void zeroGrad() {
        for (Tensor t : params.values()) t.zeroGrad();
    }

    /** One step with the gradients accumulated in the parameters by {@code backward()}. */
    public void step() {
        List<Tensor> grads = new ArrayList<>(params.size());
        for (Tensor t : params.values()) grads.add(t.grad() == null ? Trees.zerosLike(t) : t.grad().detach());
        step(params.withValues(grads));
    }

    /** One step with explicit gradients (congruent with {@link #params()}). */
    public void step(Params grads) {
        Params next;
        try (Autograd.Scope s = Autograd.noGrad()) {
            next = bound.step(grads.detach(), params);
        }
        params = next.map(t -> t.requiresGrad(true));
        steps++;
        if (listener != null) listener.accept(params);
    }

    /** The number of steps taken. */
    public long steps() {
        return steps;
    }

    /** The learning rate the next step will use (NaN when the rule has no single one). */
    public double lr() {
        return bound.lr();
    }

    /** The rule. */
    public UpdateRule<?> rule() {
        return bound.rule;
    }

    /** The rule's current state (an immutable record). */
    public Object state() {
        return bound.state;
    }

    @Override
    public String toString() {
        return "Optimizer(" + bound.rule + ", " + params + ", steps=" + steps + ")";
    }

    /** A rule with its state, typed together. */
    private static final class Bound<S> {
        final UpdateRule<S> rule;
        S state;

        Bound(UpdateRule<S> rule, S state) {
            this.rule = rule;
            this.state = state;
        }

        Params step(Params grads, Params params) {
            Update<S> u = rule.update(grads, state, params);
            state = u.state();
            return u.params();
        }

        double lr() {
            return rule.learningRate(state);
        }
    }
}
