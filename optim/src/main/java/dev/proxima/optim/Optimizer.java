package dev.proxima.optim;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Parameterized;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * {@link #step()} reads each leaf's accumulated {@link Tensor#grad()}, runs the rule under
 * {@link Autograd#noGrad()}, and replaces the parameters with new leaves that require
 * gradients: tensors are values, so "updating in place" means handing out the new tree,
 * through {@link #params()} and the optional listener (a module's {@code setParams}). Not
 * thread-safe; one optimizer per training loop.
 *
 * <p><b>A parameter without a gradient is skipped</b>, as PyTorch skips a parameter whose
 * {@code .grad} is None: it does not move, and its state (momentum buffer, Adam's moments and
 * step count) does not advance until it gets a gradient; its first step then is the one a
 * fresh optimizer would take. For that the wrapper keeps one state per parameter when the
 * rule treats its parameters independently: {@link Sgd}, {@link Adam} and {@link AdamW},
 * {@link RmsProp}, {@link Adagrad}, alone or in a {@link Chain} whose other stages keep no
 * state ({@link WeightDecay}; {@link ClipByGlobalNorm}, whose norm then covers the gradients
 * present, as {@code clip_grad_norm_} skips None). A learning-rate {@link Schedule} then
 * follows this wrapper's step count (every {@link #step} counts), as a PyTorch scheduler does,
 * not a parameter's own. Stepping parameter by parameter runs the same ops as stepping the
 * tree, so with every gradient present the trajectory is the pure rule's bit for bit
 * (tested). A rule that couples its parameters ({@link Kfac#rule}, a stage with a state,
 * a rule of your own) keeps one state for the tree and cannot skip part of it: a missing
 * gradient is then an error naming the parameters. The pure rules themselves take congruent
 * trees only (see {@link UpdateRule#update}).
 */
public final class Optimizer {
    private final UpdateRule<?> rule;
    private final Stepper stepper;
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
        this.rule = Objects.requireNonNull(rule, "Optimizer: rule");
        Objects.requireNonNull(params, "Optimizer: params");
        this.listener = listener;
        boolean allLeaves = true;
        for (Tensor t : params.values()) allLeaves &= t.isLeaf() && t.requiresGrad();
        this.params = allLeaves ? params : params.map(t -> t.isLeaf() && t.requiresGrad() ? t : t.requiresGrad(true));
        try (Autograd.Scope s = Autograd.noGrad()) {
            this.stepper = stepperFor(rule, this.params);
        }
        if (!allLeaves && listener != null) listener.accept(this.params);
    }

    /** The current parameters (leaves that require gradients). */
    public Params params() {
        return params;
    }

    /** Clears every parameter's accumulated gradient. */
    public void zeroGrad() {
        for (Tensor t : params.values()) t.zeroGrad();
    }

    /**
     * One step with the gradients accumulated in the parameters by {@code backward()};
     * parameters without one are skipped (see the class comment).
     */
    public void step() {
        LinkedHashMap<String, Tensor> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params)
            if (e.getValue().grad() != null) grads.put(e.getKey(), e.getValue().grad().detach());
        stepWith(Params.of(grads));
    }

    /**
     * One step with explicit gradients: a tree of some or all of the parameters' names, with
     * their shapes. A parameter left out is skipped, as one without a gradient.
     */
    public void step(Params grads) {
        Objects.requireNonNull(grads, "Optimizer.step: grads");
        for (String name : grads.names())
            if (!params.contains(name))
                throw new IllegalArgumentException("Optimizer.step: a gradient for '" + name + "', which is not a parameter; parameters are " + params.names());
        LinkedHashMap<String, Tensor> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params) {
            if (!grads.contains(e.getKey())) continue;
            Tensor g = grads.get(e.getKey());
            if (!Arrays.equals(g.shape(), e.getValue().shape()))
                throw new IllegalArgumentException("Optimizer.step: gradient '" + e.getKey() + "' has shape " + Shapes.str(g.shape())
                        + " but the parameter has " + Shapes.str(e.getValue().shape()));
            ordered.put(e.getKey(), g.detach());
        }
        stepWith(Params.of(ordered));
    }

    private void stepWith(Params grads) {
        Params next;
        try (Autograd.Scope s = Autograd.noGrad()) {
            next = stepper.step(grads, params, steps);
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
        return stepper.lr(steps);
    }

    /** The rule. */
    public UpdateRule<?> rule() {
        return rule;
    }

    /**
     * The rule's current state (an immutable record); for a rule stepped parameter by
     * parameter (see the class comment), a read-only map from each parameter's name to the
     * state of that parameter alone.
     */
    public Object state() {
        return stepper.state();
    }

    @Override
    public String toString() {
        return "Optimizer(" + rule + ", " + params + ", steps=" + steps + ")";
    }

    // ---- how the state is held -------------------------------------------------------------

    private interface Stepper {
        /** The next parameters; {@code grads} holds the names that have a gradient, in order. */
        Params step(Params grads, Params params, long step);

        double lr(long step);

        Object state();
    }

    /**
     * Per-parameter states when {@code rule} treats its parameters independently (a rule of
     * {@link AbstractLearningRateRule}'s kind, alone or in a {@link Chain} whose other stages
     * keep no state), else one.
     */
    private static Stepper stepperFor(UpdateRule<?> rule, Params params) {
        List<UpdateRule<?>> stages = rule instanceof Chain chain ? chain.stages() : List.of(rule);
        int core = -1;
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i) instanceof AbstractLearningRateRule<?, ?>) {
                if (core >= 0) return whole(rule, params);
                core = i;
            } else if (!(stages.get(i).init(params) instanceof GradientTransform.Stateless)) {
                return whole(rule, params);
            }
        }
        if (core < 0) return whole(rule, params);
        return perParameter(stages, core, (AbstractLearningRateRule<?, ?>) stages.get(core), params);
    }

    private static <S> Stepper whole(UpdateRule<S> rule, Params params) {
        return new Whole<>(rule, rule.init(params));
    }

    private static <S> Stepper perParameter(List<UpdateRule<?>> stages, int core, AbstractLearningRateRule<S, ?> rule, Params params) {
        return new PerParameter<>(stages.subList(0, core), rule, stages.subList(core + 1, stages.size()), params);
    }

    /** One state for the whole tree: every parameter needs a gradient. */
    private static final class Whole<S> implements Stepper {
        private final UpdateRule<S> rule;
        private S state;

        Whole(UpdateRule<S> rule, S state) {
            this.rule = rule;
            this.state = state;
        }

        @Override
        public Params step(Params grads, Params params, long step) {
            if (grads.size() != params.size()) {
                List<String> missing = new ArrayList<>();
                for (String name : params.names()) if (!grads.contains(name)) missing.add(name);
                throw new IllegalStateException("Optimizer: parameters " + missing + " have no gradient, and " + rule
                        + " steps all its parameters together, so it cannot skip them; give them a gradient (zeros to step"
                        + " them as if flat) or use a rule that steps each parameter alone (Sgd, Adam, AdamW, RmsProp, Adagrad)");
            }
            Update<S> u = rule.update(grads, state, params);
            state = u.state();
            return u.applyTo(params);
        }

        @Override
        public double lr(long step) {
            return rule.learningRate(state);
        }

        @Override
        public Object state() {
            return state;
        }
    }

    /**
     * One state per parameter name: a parameter without a gradient keeps its state. The
     * stateless stages before and after the rule run on the tree of the parameters present.
     */
    private static final class PerParameter<S> implements Stepper {
        private final List<UpdateRule<?>> before, after;
        private final AbstractLearningRateRule<S, ?> core;
        private Map<String, S> states;

        PerParameter(List<UpdateRule<?>> before, AbstractLearningRateRule<S, ?> core, List<UpdateRule<?>> after, Params params) {
            this.before = List.copyOf(before);
            this.core = core;
            this.after = List.copyOf(after);
            LinkedHashMap<String, S> init = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : params) init.put(e.getKey(), core.init(Params.of(e.getKey(), e.getValue())));
            this.states = Collections.unmodifiableMap(init);
        }

        @Override
        public Params step(Params grads, Params params, long step) {
            if (grads.isEmpty()) return params;
            LinkedHashMap<String, Tensor> present = new LinkedHashMap<>();
            for (String name : grads.names()) present.put(name, params.get(name));
            Params presentParams = Params.of(present);
            Params updates = grads;
            for (UpdateRule<?> t : before) updates = stateless(t, updates, presentParams);
            UpdateRule<S> rule = at(step);
            LinkedHashMap<String, S> nextStates = new LinkedHashMap<>(states);
            LinkedHashMap<String, Tensor> ruleUpdates = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : presentParams) {
                String name = e.getKey();
                Update<S> u = rule.update(Params.of(name, updates.get(name)), states.get(name), Params.of(name, e.getValue()));
                nextStates.put(name, u.state());
                ruleUpdates.put(name, u.updates().get(name));
            }
            updates = Params.of(ruleUpdates);
            for (UpdateRule<?> t : after) updates = stateless(t, updates, presentParams);
            states = Collections.unmodifiableMap(nextStates);
            Params moved = Update.applyUpdates(presentParams, updates);
            List<Tensor> next = new ArrayList<>(params.size());
            for (Map.Entry<String, Tensor> e : params) next.add(moved.contains(e.getKey()) ? moved.get(e.getKey()) : e.getValue());
            return params.withValues(next);
        }

        /**
         * The rule with its schedule evaluated at the wrapper's step: the base rate times the
         * factor, as the rule computes it (a float64 product), so nothing changes bit-wise.
         */
        private UpdateRule<S> at(long step) {
            Schedule schedule = core.schedule();
            if (schedule == null) return core;
            AbstractLearningRateRule.RuleBuilder<? extends AbstractLearningRateRule<S, ?>, ?> b = core.toBuilder();
            b.schedule(null);
            b.lr(scaled(core.lr(), schedule.at(step)));
            return b.build();
        }

        private static Hyper scaled(Hyper lr, double factor) {
            return switch (lr) {
                case Hyper.Constant c -> Hyper.of(c.value() * factor);
                case Hyper.Scalar s -> Hyper.of(scaled(s.tensor(), factor));
                case Hyper.PerParam p -> Hyper.perParam(p.values().map(t -> scaled(t, factor)));
            };
        }

        private static Tensor scaled(Tensor t, double factor) {
            return (t.ndim() == 0 ? t : t.reshape()).to(DType.FLOAT64).mul(factor);
        }

        @SuppressWarnings("unchecked") // a stateless stage's state is Stateless.INSTANCE, checked when built
        private static Params stateless(UpdateRule<?> t, Params updates, Params params) {
            return ((UpdateRule<GradientTransform.Stateless>) t).update(updates, GradientTransform.Stateless.INSTANCE, params).updates();
        }

        @Override
        public double lr(long step) {
            UpdateRule<S> rule = at(step);
            double lr = Double.NaN;
            boolean first = true;
            for (S s : states.values()) {
                double r = rule.learningRate(s);
                if (first) lr = r;
                else if (Double.compare(r, lr) != 0) return Double.NaN;
                first = false;
            }
            return lr;
        }

        @Override
        public Object state() {
            return states;
        }
    }
}
