package dev.proxima.optim.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Hyper;
import dev.proxima.tensor.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * Amortized Proximal Optimization (Bae, Vicol, HaoChen, Grosse, NeurIPS 2022,
 * arXiv 2203.00089): training with a parametric update rule u_φ whose parameters φ (a
 * learning rate, a preconditioner) are themselves learned online.
 *
 * <p>Every step {@code t} on a batch B = (x, y):
 * <ol>
 *   <li>the gradient ∇J_B(θ) and the rule's φ-independent part (direction, next state) are
 *       computed once;</li>
 *   <li>if {@code t % K == 0}, φ takes one meta-optimizer step down the proximal objective
 *   <pre>Q(φ) = J_B(θ') + λ_FSD · ρ(f(x', θ'), f(x', θ)) + λ_WSD/2 · ||θ' − θ||²,   θ' = u_φ(θ, B)</pre>
 *       where x' is a second batch B'. ∇_φ Q comes from autograd: θ' is built with φ
 *       requiring gradients, the model is called functionally at θ', and Q is differentiated
 *       (no hand-derived formula). The base gradient is a constant of φ for a one-step
 *       lookahead; an unrolled lookahead ({@link ApoConfig#lookaheadSteps()} &gt; 1)
 *       advances the base optimizer's state through its steps and differentiates through the
 *       gradients at the intermediate iterates: the exact derivative, second-order terms
 *       included;</li>
 *   <li>θ ← u_φ(θ, B) with the (new) φ, and the base optimizer's state advances.</li>
 * </ol>
 * The meta-optimizer is {@link Adam} with one step size per meta-parameter
 * ({@link ApoRule#metaLr}: log η and the preconditioner's entries move at different rates).
 *
 * <p><b>Data-parallel training.</b> {@link #gradientReducer} installs a hook, the identity by
 * default, that replaces a worker's local tree by the mean over all workers (an all-reduce).
 * It is applied to the base gradient ∇J_B(θ) of every step and to the meta-gradient ∇_φ Q of
 * every meta-step, each time with the step's scalar (J_B(θ), Q) riding along in the same
 * tree, so every worker computes the step, the lookahead and the meta-update from the same
 * global quantities and holds the same θ and φ. optim knows nothing of workers: the
 * {@code parallel} module supplies the reducer (its {@code DataParallelApo}).
 *
 * <p>Lifecycle: construct with the initial parameters, call {@link #step} once per batch, read
 * {@link #params()}. Nothing of a step outlives it: θ, φ, the states and the meta-optimizer's
 * moments are stored detached, and each recorded graph is released by its gradient call.
 * Not thread-safe (one training loop per instance); the model function must be.
 *
 * @param <S> the base optimizer's state
 */
public final class Apo<S> {
    private final ApoRule<S> rule;
    private final BiFunction<Params, Tensor, Tensor> model;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    private final ApoConfig config;
    private final List<ApoListener> listeners = new ArrayList<>();
    /** The name under which a step's scalar rides along with a tree through the reducer. */
    private static final String SCALAR = "\u0000apo.scalar";
    private UnaryOperator<Params> reducer; // null: one process, nothing to combine

    private Params params;
    private S state;
    private final Adam metaOptimizer;
    private Params meta;
    private Adam.State metaState;
    private long steps;

    /**
     * @param rule   the parametric update rule ({@link ApoLr}, {@link ApoPrecond})
     * @param model  the model as a function of its parameters, e.g. {@code module::apply}
     * @param loss   (output, target) -> a 0-d training loss J
     * @param params the initial parameters θ
     */
    public Apo(ApoRule<S> rule, BiFunction<Params, Tensor, Tensor> model, BiFunction<Tensor, Tensor, Tensor> loss,
               Params params, ApoConfig config) {
        this.rule = Objects.requireNonNull(rule, "Apo: rule");
        this.model = Objects.requireNonNull(model, "Apo: model");
        this.loss = Objects.requireNonNull(loss, "Apo: loss");
        this.config = Objects.requireNonNull(config, "Apo: config");
        if (params.isEmpty()) throw new IllegalArgumentException("Apo: no parameters to train");
        this.params = params.detach();
        this.state = rule.init(this.params);
        this.meta = rule.initMeta(this.params).detach();
        // Each step size in φ's own dtype and on its device (float64 in a float64 run): a bare
        // NDArray.scalar(double) is float32, and float32(0.1) = 0.10000000149 moved log η by
        // 1.5e-9 too much per meta-step, which a float64 run must not do.
        Params metaLrs = meta.mapWithName((name, t) -> Tensor.of(NDArray.scalar(rule.metaLr(name), t.dtype(), t.device())));
        this.metaOptimizer = Adam.builder().lr(Hyper.perParam(metaLrs)).betas(config.metaBeta1(), config.metaBeta2())
                .eps(config.metaEps()).build();
        this.metaState = metaOptimizer.init(meta);
    }

    public Apo<S> addListener(ApoListener listener) {
        listeners.add(Objects.requireNonNull(listener));
        return this;
    }

    /**
     * Sets the hook that turns a worker's local tree into the mean over the workers, for
     * data-parallel training (null or {@link UnaryOperator#identity()}: one process). Apo
     * calls it once per step on the base gradient and once per meta-step on the
     * meta-gradient, on every worker at the same points and with congruent trees; each tree
     * carries one extra 0-d entry, the step's loss or Q, so the values reported to listeners
     * are the global ones too. The mean is unweighted: each worker's shards of B and of B'
     * must hold the same number of examples as every other worker's, so that the mean of the
     * shard means is the mean over the global batch.
     *
     * <p>A one-step lookahead only: an unrolled one differentiates through the gradients at
     * its intermediate iterates, which would have to be averaged inside the recorded graph.
     */
    public Apo<S> gradientReducer(UnaryOperator<Params> reducer) {
        if (reducer != null && reducer != UnaryOperator.<Params>identity() && config.lookaheadSteps() > 1)
            throw new IllegalArgumentException("Apo.gradientReducer: data-parallel APO needs lookaheadSteps = 1, got "
                    + config.lookaheadSteps() + " (the intermediate gradients of an unrolled lookahead stay local)");
        if (reducer != null && params.contains(SCALAR))
            throw new IllegalArgumentException("Apo.gradientReducer: a parameter is named '" + SCALAR + "', which the reducer reserves");
        this.reducer = reducer == UnaryOperator.<Params>identity() ? null : reducer;
        return this;
    }

    /** The current parameters θ (detached). */
    public Params params() { return params; }

    /** The current meta-parameters φ (detached). */
    public Params meta() { return meta; }

    /** The base optimizer's current state. */
    public S state() { return state; }

    public ApoConfig config() { return config; }

    public ApoRule<S> rule() { return rule; }

    /** The number of training steps taken. */
    public long steps() { return steps; }

    /** The meta-optimizer's state (Adam's moments of φ and its step count). */
    public Adam.State metaState() { return metaState; }

    /**
     * Continues from a saved point (a checkpoint): θ, the base optimizer's state, φ, the
     * meta-optimizer's state and the number of steps taken. With the same batches afterwards,
     * the run goes on exactly as the one that was saved.
     */
    public void restore(Params params, S state, Params meta, Adam.State metaState, long steps) {
        if (!params.congruent(this.params)) throw new IllegalArgumentException("Apo.restore: parameters " + params
                + " do not match " + this.params);
        if (!meta.congruent(this.meta)) throw new IllegalArgumentException("Apo.restore: meta-parameters " + meta
                + " do not match " + this.meta);
        if (steps < 0) throw new IllegalArgumentException("Apo.restore: steps must be >= 0, got " + steps);
        this.params = params.detach();
        this.state = state;
        this.meta = meta.detach();
        this.metaState = Objects.requireNonNull(metaState, "Apo.restore: metaState");
        this.steps = steps;
    }

    /** The learning rate(s) the next step will use. */
    public Map<String, Double> learningRates() { return rule.learningRates(meta); }

    /**
     * One training step on the batch (x, y); {@code xMeta}, the inputs of a second batch B',
     * feeds the function-space term of a meta-step (pass {@code x} to reuse B).
     *
     * @return the training loss J_B(θ) before the step
     */
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        Params leaves = params.requiresGrad();
        Tensor j;
        try (var on = Autograd.enableGrad()) {
            j = loss.apply(model.apply(leaves, x), y);
        }
        Reduced base = reduce(Autograd.grad(j, leaves), j);
        // The φ-independent part of the step, once: the meta-step's lookahead starts from it
        // and the real step below applies it (with the φ the meta-step leaves).
        ApoRule.Prepared<S> prepared;
        try (var off = Autograd.noGrad()) {
            prepared = rule.prepare(base.tree(), state, params);
        }
        double q = Double.NaN;
        if (steps % config.metaInterval() == 0) q = metaStep(prepared, x, y, xMeta == null ? x : xMeta);
        try (var off = Autograd.noGrad()) {
            params = rule.apply(params, prepared.direction(), meta);
            state = prepared.state();
        }
        ApoListener.Step info = new ApoListener.Step(steps, base.scalar(), rule.learningRates(meta), q);
        steps++;
        for (ApoListener l : listeners) l.onStep(info);
        return info.loss();
    }

    /** One meta-optimizer step on φ; returns Q before it. */
    private double metaStep(ApoRule.Prepared<S> prepared, Tensor x, Tensor y, Tensor xMeta) {
        Params phi = meta.requiresGrad();
        Tensor q;
        try (var on = Autograd.enableGrad()) {
            q = objective(phi, params, prepared, x, y, xMeta);
        }
        Reduced g = reduce(Autograd.grad(q, phi), q);
        try (var off = Autograd.noGrad()) {
            var next = metaOptimizer.update(g.tree(), metaState, meta);
            meta = next.applyTo(meta);
            metaState = next.state();
        }
        return g.scalar();
    }

    /** A tree and a scalar after the reducer: the means over the workers. */
    private record Reduced(Params tree, double scalar) {}

    /** {@code tree} and the 0-d {@code scalar} through the reducer, in one call. */
    private Reduced reduce(Params tree, Tensor scalar) {
        if (reducer == null) return new Reduced(tree, scalar.item());
        Params both = reducer.apply(tree.with(SCALAR, scalar.detach()));
        LinkedHashMap<String, Tensor> entries = new LinkedHashMap<>(both.asMap());
        Tensor s = entries.remove(SCALAR);
        if (s == null || entries.size() != tree.size())
            throw new IllegalStateException("Apo: the gradient reducer returned " + both.names() + " for " + tree.names() + " + the step's scalar");
        return new Reduced(Params.of(entries), s.item());
    }

    /**
     * Q(φ) at the given point, recorded when gradients are enabled and {@code meta} requires
     * them (so {@code Autograd.grad(Q, meta)} is the meta-gradient). Public for tests and for
     * users who want to inspect the objective; {@link #step} calls it.
     *
     * @param grads ∇J_B(θ) on the batch (x, y): a constant of φ
     */
    public Tensor metaObjective(Params meta, Params theta, S state, Params grads, Tensor x, Tensor y, Tensor xMeta) {
        return objective(meta, theta, rule.prepare(grads, state, theta), x, y, xMeta);
    }

    /** Q(φ) from a prepared first step (the rule's φ-independent work on θ, done by the caller). */
    private Tensor objective(Params meta, Params theta, ApoRule.Prepared<S> prepared, Tensor x, Tensor y, Tensor xMeta) {
        Tensor before;
        try (var off = Autograd.noGrad()) {
            before = config.lambdaFsd() == 0 ? null : model.apply(theta, xMeta);
        }
        Params ahead = rule.apply(theta, prepared.direction(), meta);
        S aheadState = prepared.state();
        for (int k = 1; k < config.lookaheadSteps(); k++) {
            prepared = rule.prepare(gradientAt(ahead, x, y), aheadState, ahead);
            ahead = rule.apply(ahead, prepared.direction(), meta);
            aheadState = prepared.state();
        }
        Tensor q = loss.apply(model.apply(ahead, x), y);
        if (config.lambdaFsd() != 0)
            q = q.add(config.divergence().apply(model.apply(ahead, xMeta), before).mul(config.lambdaFsd()));
        if (config.lambdaWsd() != 0)
            q = q.add(ahead.sub(theta).squaredNorm().mul(config.lambdaWsd() / 2));
        return q;
    }

    /**
     * ∇J_B at an intermediate iterate of an unrolled lookahead: recorded (createGraph) when the
     * iterate carries a graph, so the meta-gradient flows through it; plain otherwise.
     */
    private Params gradientAt(Params theta, Tensor x, Tensor y) {
        boolean recorded = Autograd.isGradEnabled();
        for (Tensor t : theta.values()) recorded &= t.requiresGrad();
        if (recorded) return Autograd.grad(loss.apply(model.apply(theta, x), y), theta, true);
        Params leaves = theta.detach().requiresGrad();
        Tensor j;
        try (var on = Autograd.enableGrad()) {
            j = loss.apply(model.apply(leaves, x), y);
        }
        Params g = Autograd.grad(j, leaves);
        return Autograd.isGradEnabled() ? g : g.detach();
    }

    @Override
    public String toString() {
        return "Apo{" + rule + ", " + config + "}";
    }
}
