package dev.proxima.cli;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.Tapped;
import dev.proxima.nn.io.StateCodec;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.RmsProp;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.optim.apo.Divergence;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What {@code train} steps: the parameters and an optimizer's state, advanced one batch at a
 * time, and saved to / restored from a checkpoint's tensors and scalars.
 */
interface Learner extends AutoCloseable {
    /** One step on (x, y); {@code xMeta} the inputs of a second batch (APO's B'). Returns the loss before the step. */
    double step(Tensor x, Tensor y, Tensor xMeta);

    /** The current parameters (detached). */
    Params params();

    /** The learning rate the next step uses (APO: the learned one; per layer: their geometric mean). */
    double lr();

    void save(Map<String, Tensor> tensors, Map<String, String> scalars);

    /** Restores what {@link #save} wrote; {@code names}: the model's parameter names in order. */
    void load(Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names);

    /** Releases what the learner holds beyond memory (worker threads, sockets). */
    @Override
    default void close() {}

    /** SGD is SGD with momentum 0.9 here (what one trains CNNs with); Adam and RMSProp use PyTorch's defaults. */
    static UpdateRule<?> baseRule(String name, double lr) {
        return switch (name) {
            case "sgd" -> Sgd.builder().lr(lr).momentum(0.9).build();
            case "adam" -> Adam.builder().lr(lr).build();
            case "rmsprop" -> RmsProp.builder().lr(lr).build();
            default -> throw new IllegalArgumentException("no base rule '" + name + "'");
        };
    }

    /** The learner for {@code config}'s optimizer over the task's model, from its current parameters. */
    static Learner of(TrainConfig config, Task task) {
        BiFunction<Params, Tensor, Tensor> model = task.function();
        BiFunction<Tensor, Tensor, Tensor> loss = task::loss;
        Divergence divergence = task.divergence();
        Params init = task.model.params();
        return switch (config.optimizer()) {
            case SGD, ADAM, RMSPROP -> config.workers() > 1
                    ? new DataParallelLearner<>(baseRule(config.optimizer().toString(), config.lr()), task, init,
                            config.workers(), config.transport())
                    : new RuleLearner<>(baseRule(config.optimizer().toString(), config.lr()), model, loss, init);
            case APO_LR, APO_PRECOND -> {
                ApoConfig c = ApoConfig.builder().initialLr(config.lr()).divergence(divergence).build();
                ApoRule<?> rule = config.optimizer() == TrainConfig.Optimizer.APO_LR ? ApoLr.over(baseRule(config.base(), 1.0), c) : new ApoPrecond(c);
                yield config.workers() > 1
                        ? new DataParallelApoLearner<>(rule, task, init, c, config.workers(), config.transport())
                        : new ApoLearner<>(rule, model, loss, init, c);
            }
            case KFAC -> new KfacLearner(Kfac.builder().lr(config.lr()).momentum(0.9).build(), task.model, loss, init, config.lr());
        };
    }

    /** A pure update rule stepped by hand: the state is a value the checkpoint can hold. */
    final class RuleLearner<S> implements Learner {
        private final UpdateRule<S> rule;
        private final BiFunction<Params, Tensor, Tensor> model;
        private final BiFunction<Tensor, Tensor, Tensor> loss;
        private Params params;
        private S state;

        RuleLearner(UpdateRule<S> rule, BiFunction<Params, Tensor, Tensor> model, BiFunction<Tensor, Tensor, Tensor> loss, Params init) {
            this.rule = rule;
            this.model = model;
            this.loss = loss;
            this.params = init.detach();
            try (var off = Autograd.noGrad()) {
                this.state = rule.init(params);
            }
        }

        @Override
        public double step(Tensor x, Tensor y, Tensor xMeta) {
            Params leaves = params.requiresGrad();
            Tensor j;
            try (var on = Autograd.enableGrad()) {
                j = loss.apply(model.apply(leaves, x), y);
            }
            Params grads = Autograd.grad(j, leaves);
            try (var off = Autograd.noGrad()) {
                Update<S> u = rule.update(grads, state, params);
                params = u.params().detach();
                state = u.state();
            }
            return j.item();
        }

        @Override
        public Params params() {
            return params;
        }

        @Override
        public double lr() {
            return rule.learningRate(state);
        }

        @Override
        public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
            StateCodec.encode("param", params, tensors, scalars);
            StateCodec.encode("state", state, tensors, scalars);
        }

        @Override
        @SuppressWarnings("unchecked")
        public void load(Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
            params = (Params) StateCodec.decode("param", Params.class, tensors, scalars, names);
            state = (S) StateCodec.decode("state", Object.class, tensors, scalars, names);
        }
    }

    /**
     * KFAC: each step evaluates the model with taps on its Linear/Conv2d layers, so the
     * Kronecker factors see what every layer saw and the gradient it got back.
     */
    final class KfacLearner implements Learner {
        private final Kfac kfac;
        private final Module model;
        private final BiFunction<Tensor, Tensor, Tensor> loss;
        private final double lr;
        private Params params;
        private Kfac.State state;

        KfacLearner(Kfac kfac, Module model, BiFunction<Tensor, Tensor, Tensor> loss, Params init, double lr) {
            this.kfac = kfac;
            this.model = model;
            this.loss = loss;
            this.lr = lr;
            this.params = init.detach();
            try (var off = Autograd.noGrad()) {
                this.state = kfac.init(params);
            }
        }

        @Override
        public double step(Tensor x, Tensor y, Tensor xMeta) {
            Params leaves = params.requiresGrad();
            Tapped tapped;
            Tensor j;
            try (var on = Autograd.enableGrad()) {
                tapped = model.applyTapped(leaves, x);
                j = loss.apply(tapped.output(), y);
            }
            Kfac.Gradients g = Kfac.gradients(j, leaves, tapped.taps(), x.shape(0));
            try (var off = Autograd.noGrad()) {
                Update<Kfac.State> u = kfac.update(g.grads(), state, params, g.curvature());
                params = u.params().detach();
                state = u.state();
            }
            return j.item();
        }

        @Override
        public Params params() {
            return params;
        }

        @Override
        public double lr() {
            return lr;
        }

        @Override
        public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
            StateCodec.encode("param", params, tensors, scalars);
            StateCodec.encode("state", state, tensors, scalars);
        }

        @Override
        public void load(Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
            params = (Params) StateCodec.decode("param", Params.class, tensors, scalars, names);
            state = (Kfac.State) StateCodec.decode("state", Kfac.State.class, tensors, scalars, names);
        }
    }

    /** APO (LR or Precond) over a base rule; the learned rate is what the progress bar shows. */
    final class ApoLearner<S> implements Learner {
        private final Apo<S> apo;

        ApoLearner(ApoRule<S> rule, BiFunction<Params, Tensor, Tensor> model, BiFunction<Tensor, Tensor, Tensor> loss,
                   Params init, ApoConfig config) {
            this.apo = new Apo<>(rule, model, loss, init, config);
        }

        Apo<S> apo() {
            return apo;
        }

        @Override
        public double step(Tensor x, Tensor y, Tensor xMeta) {
            return apo.step(x, y, xMeta);
        }

        @Override
        public Params params() {
            return apo.params();
        }

        @Override
        public double lr() {
            return lr(apo);
        }

        /** The learned rate, or the geometric mean of the per-layer ones. */
        static double lr(Apo<?> apo) {
            Map<String, Double> rates = apo.learningRates();
            if (rates.isEmpty()) return Double.NaN;
            double logSum = 0;
            for (double r : rates.values()) logSum += Math.log(r);
            return Math.exp(logSum / rates.size());
        }

        @Override
        public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
            save(apo, tensors, scalars);
        }

        /** θ, the base rule's state, φ, the meta-optimizer's state and the step count: what {@link #load} restores. */
        static void save(Apo<?> apo, Map<String, Tensor> tensors, Map<String, String> scalars) {
            StateCodec.encode("param", apo.params(), tensors, scalars);
            StateCodec.encode("state", apo.state(), tensors, scalars);
            StateCodec.encode("meta", apo.meta(), tensors, scalars);
            StateCodec.encode("metaopt", apo.metaState(), tensors, scalars);
            scalars.put("apo_steps", Long.toString(apo.steps()));
        }

        @Override
        public void load(Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
            load(apo, tensors, scalars, names);
        }

        /** Restores into {@code apo} what {@link #save} wrote. */
        @SuppressWarnings("unchecked")
        static <S> void load(Apo<S> apo, Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
            Params params = (Params) StateCodec.decode("param", Params.class, tensors, scalars, names);
            S state = (S) StateCodec.decode("state", Object.class, tensors, scalars, names);
            Params meta = (Params) StateCodec.decode("meta", Params.class, tensors, scalars, apo.meta().names());
            Adam.State metaState = (Adam.State) StateCodec.decode("metaopt", Adam.State.class, tensors, scalars, apo.meta().names());
            apo.restore(params, state, meta, metaState, Long.parseLong(scalars.get("apo_steps")));
        }
    }
}
