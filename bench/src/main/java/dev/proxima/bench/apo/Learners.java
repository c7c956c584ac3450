package dev.proxima.bench.apo;

import dev.proxima.nn.Module;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Schedules;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.train.KfacOptions;
import dev.proxima.train.Learner;

/**
 * The study's methods as the library's {@link Learner}s: a method and its setting to a rule,
 * KFAC or APO over the task's {@link StudyTask#objective}. The study holds no training step of
 * its own; {@link Runner} runs these through {@link dev.proxima.train.Fit}.
 */
final class Learners {
    private Learners() {}

    static final double MOMENTUM = 0.9;
    /** APO-Precond's full-factor threshold: every side of every study model (784 the widest) gets a full L or R. */
    static final int PRECOND_MAX_DIM = 1024;
    /** Mixed into a run's seed for KFAC's true-Fisher draws. */
    static final long TRUE_FISHER_SEED = 0x5eed_f15e_7L;

    /** The learner of {@code method} with setting {@code s}, from {@code model}'s parameters, for a run of {@code steps} steps. */
    static Learner create(Method method, Setting s, StudyTask task, Module model, int steps, long seed) {
        var objective = task.objective(model);
        return switch (method) {
            case SGD -> Learner.of(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).build(), objective);
            case STEP_DECAY -> {
                long first = Math.round(s.get("drop1") * steps), second = Math.round(s.get("drop2") * steps);
                yield Learner.of(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).schedule(Schedules.multiStep(0.1, first, second)).build(),
                        objective);
            }
            case COSINE -> Learner.of(Sgd.builder().lr(s.get("lr")).momentum(MOMENTUM).schedule(Schedules.cosine(steps, 0)).build(), objective);
            case ADAM -> Learner.of(Adam.builder().lr(s.get("lr")).build(), objective);
            case KFAC -> {
                // Momentum 0.9, inverses every 20, KL clip 1e-3: Kfac's defaults. Layers without a
                // tap (layer norms, embeddings) take Kfac's SGD-momentum fallback.
                Kfac kfac = Kfac.builder().lr(s.get("lr")).damping(s.get("damping")).build();
                KfacOptions options = KfacOptions.EMPIRICAL.examples(task::examplesPerLoss);
                if (s.get("trueFisher") != 0) options = options.trueFisher(task.sampledLoss(), seed ^ TRUE_FISHER_SEED);
                yield Learner.kfac(kfac, objective, kfac.lr().value(""), options);
            }
            case APO_LR -> {
                ApoConfig c = apoConfig(task, s);
                yield Learner.apo(ApoLr.over(Sgd.builder().lr(1).momentum(MOMENTUM).build(), c), objective, c);
            }
            case APO_PRECOND -> {
                ApoConfig c = apoConfig(task, s);
                yield Learner.apo(new ApoPrecond(c), objective, c);
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
}
