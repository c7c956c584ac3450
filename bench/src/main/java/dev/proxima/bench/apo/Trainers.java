package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.Tapped;
import dev.proxima.nn.data.Batch;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Schedules;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.tensor.Rng;

/**
 * The study's training loops, one per kind of method, behind one small interface: a step on
 * batch B (B' feeds APO's function-space term), the parameters, the rate the step used. Kept
 * here, in bench, until nn's training API can carry APO and KFAC; each is a plain loop over
 * optim's pure rules and so moves onto that API unchanged.
 */
final class Trainers {
    private Trainers() {}

    /** A method's training loop. */
    interface Trainer {
        /** One step on {@code b}; {@code meta} is B'. Returns J_B(θ) before the step. */
        double step(Batch b, Batch meta);

        Params params();

        /** The learning rate the last step used (NaN when it has no single one). */
        double lr();
    }

    static final double MOMENTUM = 0.9;
    /** APO-Precond's full-factor threshold: every side of every study model (784 the widest) gets a full L or R. */
    static final int PRECOND_MAX_DIM = 1024;

    /** The trainer of {@code method} with {@code setting} for a run of {@code steps} steps. */
    static Trainer create(Method method, Setting s, StudyTask task, Module model, Params init, int steps, long seed) {
        return switch (method) {
            case SGD -> new RuleTrainer<>(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).build(), model, task, init);
            case STEP_DECAY -> {
                long first = Math.round(s.get("drop1") * steps), second = Math.round(s.get("drop2") * steps);
                yield new RuleTrainer<>(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).schedule(Schedules.multiStep(0.1, first, second)).build(),
                        model, task, init);
            }
            case COSINE -> new RuleTrainer<>(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).schedule(Schedules.cosine(steps, 0)).build(),
                    model, task, init);
            case ADAM -> new RuleTrainer<>(Adam.builder().lr(s.get("lr")).build(), model, task, init);
            case KFAC -> new KfacTrainer(Kfac.builder().lr(s.get("lr")).damping(s.get("damping")).build(), s.get("trueFisher") != 0,
                    model, task, init, seed);
            case APO_LR -> {
                ApoConfig c = apoConfig(task, s);
                yield new ApoTrainer<>(ApoLr.over(Sgd.builder().lr(1).momentum(MOMENTUM).build(), c), model, task, init, c);
            }
            case APO_PRECOND -> {
                ApoConfig c = apoConfig(task, s);
                yield new ApoTrainer<>(new ApoPrecond(c), model, task, init, c);
            }
        };
    }

    /** APO's settings for a run: library defaults except what the setting names. */
    static ApoConfig apoConfig(StudyTask task, Setting s) {
        ApoConfig.Builder b = ApoConfig.builder().divergence(task.divergence()).lambdaFsd(s.get("lambdaFsd"))
                .lambdaWsd(s.getOr("lambdaWsd", 0)).initialLr(s.get("start")).precondMaxDim(PRECOND_MAX_DIM);
        if (s.has("metaLr")) b.precondMetaLr(s.get("metaLr"));
        return b.build();
    }

    /** A plain optim rule: gradient at θ, then the rule's step. */
    static final class RuleTrainer<S> implements Trainer {
        private final UpdateRule<S> rule;
        private final Module model;
        private final StudyTask task;
        private Params params;
        private S state;
        private double lastLr = Double.NaN;

        RuleTrainer(UpdateRule<S> rule, Module model, StudyTask task, Params init) {
            this.rule = rule;
            this.model = model;
            this.task = task;
            this.params = init;
            this.state = rule.init(init);
        }

        @Override
        public double step(Batch b, Batch meta) {
            Params leaves = params.requiresGrad();
            Tensor loss;
            try (var on = Autograd.enableGrad()) {
                loss = task.loss(model.apply(leaves, b.x()), b.y());
            }
            Params grads = Autograd.grad(loss, leaves);
            lastLr = rule.learningRate(state);
            try (var off = Autograd.noGrad()) {
                Update<S> u = rule.update(grads, state, params);
                params = u.params();
                state = u.state();
            }
            return loss.item();
        }

        @Override
        public Params params() { return params; }

        @Override
        public double lr() { return lastLr; }
    }

    /** APO: one {@link Apo#step} per batch, B' from a second, independently shuffled loader. */
    static final class ApoTrainer<S> implements Trainer {
        private final Apo<S> apo;
        private double lastLr = Double.NaN;

        ApoTrainer(ApoRule<S> rule, Module model, StudyTask task, Params init, ApoConfig config) {
            apo = new Apo<>(rule, model::apply, task::loss, init, config);
            apo.addListener(st -> lastLr = st.learningRates().getOrDefault("global", Double.NaN));
        }

        @Override
        public double step(Batch b, Batch meta) {
            return apo.step(b.x(), b.y(), meta.x());
        }

        @Override
        public Params params() { return apo.params(); }

        @Override
        public double lr() { return lastLr; }
    }

    /**
     * KFAC: optim's {@link Kfac} with the setting's rate and damping (momentum 0.9, inverses
     * every 20, KL clip 1e-3: Kfac's defaults). With {@code trueFisher} the factors G come from
     * the loss against targets sampled from the model's own predictive distribution
     * ({@link StudyTask#sampledLoss}: the true Fisher, as in Martens and Grosse), the step's
     * gradient from the real loss; without it, from the real loss's output gradients (the
     * empirical Fisher). Layers without a tap (layer norms, embeddings) take Kfac's
     * SGD-momentum fallback.
     */
    static final class KfacTrainer implements Trainer {
        private final Kfac kfac;
        private final boolean trueFisher;
        private final Module model;
        private final StudyTask task;
        private final Rng rng;
        private Params params;
        private Kfac.State state;

        KfacTrainer(Kfac kfac, boolean trueFisher, Module model, StudyTask task, Params init, long seed) {
            this.kfac = kfac;
            this.trueFisher = trueFisher;
            this.model = model;
            this.task = task;
            this.params = init;
            this.state = kfac.init(init);
            this.rng = new Rng(seed ^ 0x5eed_f15e_7L);
        }

        @Override
        public double step(Batch b, Batch meta) {
            Params leaves = params.requiresGrad();
            Tapped t;
            Tensor loss, sampled = null;
            try (var on = Autograd.enableGrad()) {
                t = model.applyTapped(leaves, b.x());
                loss = task.loss(t.output(), b.y());
                if (trueFisher) sampled = task.sampledLoss(t.output(), rng);
            }
            Params grads;
            Kfac.Curvature curvature;
            if (trueFisher) {
                curvature = Kfac.curvature(sampled, t.taps(), task.examplesPerLoss(b)); // keeps the graph
                grads = Autograd.grad(loss, leaves);
            } else {
                Kfac.Gradients g = Kfac.gradients(loss, leaves, t.taps(), task.examplesPerLoss(b));
                grads = g.grads();
                curvature = g.curvature();
            }
            try (var off = Autograd.noGrad()) {
                Update<Kfac.State> u = kfac.update(grads, state, params, curvature);
                params = u.params();
                state = u.state();
            }
            return loss.item();
        }

        Kfac.State state() { return state; }

        @Override
        public Params params() { return params; }

        @Override
        public double lr() { return kfac.lr().value(""); }
    }
}
