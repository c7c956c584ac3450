package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.parallel.DataParallelTrainer;
import java.util.List;

/**
 * {@link Learner#dataParallelApo}: each worker of a {@link WorkerGroup} holds a
 * {@link dev.proxima.parallel.DataParallelApo} (wrapped in an {@link ApoLearner} for its buffers). Each step splits
 * B and B' into one equal shard per worker; the workers average the base gradient every step
 * and the meta-gradient every meta-step, so all hold the same θ and the same φ.
 *
 * <p>As for {@link DataParallelLearner}, what it reports is rank 0's and its state is a
 * one-worker APO learner's. The shards must be equal (a global batch divisible by the
 * workers), since APO's meta-objective adds a mean over B to a mean over B'. The workers
 * average their shards' mean losses without weights: for a target whose rows score different
 * numbers of terms that is not exactly the global batch's mean.
 */
final class DataParallelApoLearner<S> implements Learner {
    private final WorkerGroup workers;
    private final List<ApoLearner<S>> apos;

    DataParallelApoLearner(ApoRule<S> rule, Objective objective, ApoConfig config, WorkerGroup workers) {
        this.workers = workers;
        Params start = objective.model().params().detach(), buffers = objective.model().buffers().detach();
        // The constructor broadcasts rank 0's parameters: every rank must take part.
        this.apos = workers.onEveryWorker(r -> new ApoLearner<>(rule, objective, config, start, buffers, workers.collective(r)));
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        int n = workers.size();
        List<Double> losses = workers.onEveryWorker(r -> apos.get(r).step(DataParallelTrainer.shard(x, r, n),
                DataParallelTrainer.shard(y, r, n), xMeta == null ? null : DataParallelTrainer.shard(xMeta, r, n)));
        return losses.get(0); // the global batch's mean, the same on every rank
    }

    @Override
    public boolean usesSecondBatch() {
        return true;
    }

    @Override
    public Params params() {
        return apos.get(0).params();
    }

    @Override
    public Params buffers() {
        return apos.get(0).buffers();
    }

    @Override
    public double lr() {
        return apos.get(0).lr();
    }

    @Override
    public double lastLr() {
        return apos.get(0).lastLr();
    }

    @Override
    public TrainState state() {
        return apos.get(0).state();
    }

    @Override
    public void restore(TrainState s) {
        // The workers sit idle between steps, so the caller may restore each one's state.
        for (ApoLearner<S> a : apos) a.restore(s);
    }

    @Override
    public void close() {
        workers.close();
    }
}
