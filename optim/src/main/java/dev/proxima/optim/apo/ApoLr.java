package dev.proxima.optim.apo;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.UpdateRule;
import dev.proxima.tensor.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * APO-LR: u_φ(θ, B) = θ − η·d, where d is a base optimizer's step direction (SGD with momentum,
 * RMSProp, Adam: anything whose step is its learning rate times a direction) and
 * φ = log η, one global rate or one per layer. Log space keeps η positive and makes the
 * meta-optimizer's steps relative (log space, global or per-layer: ours, both offered; the
 * paper's APO-LR learns the rate of SGD, RMSProp or Adam the same way).
 *
 * <p>The base optimizer is given as a {@link Direction}: its step with learning rate 1. Its
 * state (momentum buffers, moment estimates) is carried by {@link Apo}: the lookahead starts
 * from the current state and the real step advances it.
 *
 * @param <S> the base optimizer's state
 */
public final class ApoLr<S> implements ApoRule<S> {
    /** The name of the single meta-parameter of a global rate; per-layer ones are "lr." + layer. */
    public static final String GLOBAL = "lr";

    private final Direction<S> base;
    private final ApoConfig config;

    /**
     * The base optimizer's step at learning rate 1: given the gradients, its state and the
     * parameters, the direction d (the step is θ − η·d) and the next state. Implementations
     * are pure and written in Tensor ops.
     */
    @FunctionalInterface
    public interface Direction<S> {
        Prepared<S> step(Params grads, S state, Params params);

        /** The state before the first step (null for a stateless direction). */
        default S init(Params params) { return null; }

        /**
         * The direction of an {@code optim} rule built with learning rate 1 ({@code Sgd},
         * {@code Adam}, {@code RmsProp}, ...), from the update u it returns: d = θ − (θ + u).
         * Any rule whose step is its rate times a direction qualifies (weight decay, momentum,
         * Nesterov included; a learning-rate schedule inside the rule would multiply η).
         *
         * <p>Why not d = −u, which is the exact direction: θ − (θ + u) differs from it by the
         * rounding of θ + u (at most that of θ itself, so no accuracy that matters), and it is
         * what the APO study's recorded cells (version 1) were computed with; taking −u moves
         * APO-LR's trajectories in their last bits, a change to make together with a new
         * study version.
         */
        static <S> Direction<S> of(UpdateRule<S> unitLrRule) {
            return new Direction<>() {
                @Override
                public Prepared<S> step(Params grads, S state, Params params) {
                    var u = unitLrRule.update(grads, state, params);
                    return new Prepared<>(params.sub(u.applyTo(params)), u.state());
                }

                @Override
                public S init(Params params) {
                    S s = unitLrRule.init(params);
                    double lr = unitLrRule.learningRate(s);
                    if (!Double.isNaN(lr) && lr != 1)
                        throw new IllegalArgumentException("ApoLr: the base rule must have learning rate 1 (APO supplies η), got "
                                + lr + " in " + unitLrRule);
                    return s;
                }

                @Override
                public String toString() {
                    return unitLrRule.toString();
                }
            };
        }
    }

    /** APO-LR over an {@code optim} rule built with learning rate 1 (see {@link Direction#of}). */
    public static <S> ApoLr<S> over(UpdateRule<S> unitLrRule, ApoConfig config) {
        return new ApoLr<>(Direction.of(unitLrRule), config);
    }

    public ApoLr(Direction<S> base, ApoConfig config) {
        this.base = base;
        this.config = config;
    }

    /** The layer a parameter belongs to: its name up to the last dot ("0.weight" -> "0"). */
    public static String layerOf(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    private String metaNameOf(String paramName) {
        return config.perLayerLr() ? GLOBAL + "." + layerOf(paramName) : GLOBAL;
    }

    @Override
    public S init(Params params) {
        return base.init(params);
    }

    @Override
    public Params initMeta(Params params) {
        LinkedHashMap<String, Tensor> meta = new LinkedHashMap<>();
        double logLr = Math.log(config.initialLr());
        for (Map.Entry<String, Tensor> e : params) {
            Tensor p = e.getValue();
            meta.putIfAbsent(metaNameOf(e.getKey()), Tensor.of(NDArray.scalar(logLr, p.dtype(), p.device())));
        }
        return Params.of(meta);
    }

    @Override
    public Prepared<S> prepare(Params grads, S state, Params params) {
        return base.step(grads, state, params);
    }

    @Override
    public Params apply(Params params, Params direction, Params meta) {
        Map<String, Tensor> lr = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : meta) lr.put(e.getKey(), e.getValue().exp());
        if (!params.congruent(direction))
            throw new IllegalArgumentException("ApoLr: direction " + direction + " does not match parameters " + params);
        return params.mapWithName((name, p) -> p.sub(direction.get(name).mul(lr.get(metaNameOf(name)))));
    }

    @Override
    public double metaLr(String metaName) {
        return config.metaLr();
    }

    @Override
    public Map<String, Double> learningRates(Params meta) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : meta) {
            String key = e.getKey().equals(GLOBAL) ? "global" : e.getKey().substring(GLOBAL.length() + 1);
            out.put(key, Math.exp(e.getValue().item()));
        }
        return out;
    }

    @Override
    public String toString() {
        return "ApoLr{" + (config.perLayerLr() ? "per-layer" : "global") + ", base=" + base + "}";
    }
}
