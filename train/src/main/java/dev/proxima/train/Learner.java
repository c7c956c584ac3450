package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.UpdateRule;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoRule;
import java.util.Map;

/**
 * One training step of one kind of optimizer over an {@link Objective}: the parameters, the
 * module's buffers and the optimizer's state, advanced one batch at a time, and read or
 * replaced as one {@link TrainState}. {@link Fit} runs the loop around it.
 *
 * <p>Where a new learner goes: a new kind of step (a second-order method, another
 * meta-learned rule) is a class here implementing this interface, with a factory below; the
 * loop, checkpoints, evaluation and the command line take it as they are. A new plain rule
 * needs no learner at all: it is an {@link UpdateRule} handed to {@link #of}.
 *
 * <p>Every learner moves the buffers through the functional call's buffer output at the
 * step's parameters, on the step's batch, once per step (the forward pass PyTorch's loop would
 * run), so an evaluation in eval mode reads the statistics training produced, APO's included.
 * Not thread-safe: one loop per learner.
 */
public interface Learner extends AutoCloseable {
    /**
     * One step on (x, y); {@code xMeta} the inputs of a second batch (APO's B', null: B
     * itself; other learners ignore it). Returns the loss before the step.
     */
    double step(Tensor x, Tensor y, Tensor xMeta);

    /** The current parameters (detached). */
    Params params();

    /** The current buffers (detached; empty for a model without any). */
    Params buffers();

    /** The learning rate the next step uses (APO: the learned one; per layer: their geometric mean). */
    double lr();

    /**
     * The learning rate the last {@link #step} used (NaN before this learner's first step):
     * what {@link #lr} said before it, except for APO, whose meta-step sets the rate within the
     * step, before the update it scales.
     */
    double lastLr();

    /** Whether {@link #step} uses a second batch (APO's function-space term). */
    default boolean usesSecondBatch() {
        return false;
    }

    /** The whole state, to save or to inspect. */
    TrainState state();

    /** Continues from {@code state} (the same model and optimizer, e.g. from a checkpoint). */
    void restore(TrainState state);

    /** Releases what the learner holds beyond memory (worker threads, sockets). */
    @Override
    default void close() {}

    /** A pure update rule, on one worker, from the model's current parameters and buffers. */
    static <S> Learner of(UpdateRule<S> rule, Objective objective) {
        return new RuleLearner<>(rule, objective);
    }

    /**
     * KFAC: each step taps the Linear/Conv2d layers for the Kronecker factors, from the
     * empirical Fisher with N the rows of the batch ({@link KfacOptions#EMPIRICAL});
     * {@code lr} is what {@link #lr} reports.
     */
    static Learner kfac(Kfac kfac, Objective objective, double lr) {
        return kfac(kfac, objective, lr, KfacOptions.EMPIRICAL);
    }

    /** KFAC with {@code options}: the true Fisher from sampled targets, or another N than the batch's rows. */
    static Learner kfac(Kfac kfac, Objective objective, double lr, KfacOptions options) {
        return new KfacLearner(kfac, objective, lr, options);
    }

    /** APO (LR or Precond) over its base rule, on one worker. */
    static <S> Learner apo(ApoRule<S> rule, Objective objective, ApoConfig config) {
        return new ApoLearner<>(rule, objective, config);
    }

    /** A pure update rule, data-parallel over {@code workers} (closed with the learner). */
    static <S> Learner dataParallel(UpdateRule<S> rule, Objective objective, WorkerGroup workers) {
        return new DataParallelLearner<>(rule, objective, workers);
    }

    /** APO, data-parallel over {@code workers} (closed with the learner). */
    static <S> Learner dataParallelApo(ApoRule<S> rule, Objective objective, ApoConfig config, WorkerGroup workers) {
        return new DataParallelApoLearner<>(rule, objective, config, workers);
    }

    /** APO's learned rate, or the geometric mean of its per-layer ones (NaN: none). */
    static double learnedRate(Apo<?> apo) {
        Map<String, Double> rates = apo.learningRates();
        if (rates.isEmpty()) return Double.NaN;
        if (rates.size() == 1) return rates.values().iterator().next(); // exp(log r) can miss r by an ulp
        double logSum = 0;
        for (double r : rates.values()) logSum += Math.log(r);
        return Math.exp(logSum / rates.size());
    }
}
