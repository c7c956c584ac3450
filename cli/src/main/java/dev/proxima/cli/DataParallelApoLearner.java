package dev.proxima.cli;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.parallel.DataParallelApo;
import dev.proxima.parallel.DataParallelTrainer;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * {@code --workers N} for apo-lr and apo-precond: each worker thread holds a
 * {@link DataParallelApo} on one member of a {@link WorkerGroup}'s collectives. Each step
 * splits B and B' into N equal shards; the workers average the base gradient every step and
 * the meta-gradient every meta-step, so all hold the same θ and the same φ (the learned rate).
 *
 * <p>As for {@link DataParallelLearner}, the training loop stays on the caller's thread and
 * reads rank 0's parameters, rates and state; the checkpoint holds what a one-worker APO run's
 * holds (θ, the base state, φ, the meta-optimizer's state, the step count), so either can
 * resume the other. The shards must be equal ({@link TrainConfig#checkWorkers} asks for a
 * --batch divisible by --workers), since APO's meta-objective adds a mean over B to a mean
 * over B'. The workers average their shards' mean losses without weights: for the copy task,
 * whose sequences score different numbers of tokens, that is not exactly the global batch's
 * mean (it is for every other task).
 */
final class DataParallelApoLearner<S> implements Learner {
    private final WorkerGroup workers;
    private final List<DataParallelApo<S>> apos;

    DataParallelApoLearner(ApoRule<S> rule, Task task, Params init, ApoConfig config, int workers, String transport) {
        this.workers = new WorkerGroup(workers, transport);
        Params start = init.detach();
        // The constructor broadcasts rank 0's parameters: every rank must take part.
        this.apos = this.workers.onEveryWorker(r -> new DataParallelApo<>(this.workers.collective(r), rule, task.function(), task::loss,
                start, config));
    }

    private Apo<S> first() {
        return apos.get(0).apo();
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        int n = workers.size();
        List<Double> losses = workers.onEveryWorker(r -> apos.get(r).step(DataParallelTrainer.shard(x, r, n),
                DataParallelTrainer.shard(y, r, n), xMeta == null ? null : DataParallelTrainer.shard(xMeta, r, n)));
        return losses.get(0); // the global batch's mean, the same on every rank
    }

    @Override
    public Params params() {
        return first().params();
    }

    @Override
    public double lr() {
        return ApoLearner.lr(first());
    }

    @Override
    public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
        ApoLearner.save(first(), tensors, scalars);
    }

    @Override
    public void load(Map<String, Tensor> tensors, Map<String, String> scalars, Collection<String> names) {
        // The workers sit idle between steps, so the caller may restore each one's state.
        for (DataParallelApo<S> a : apos) ApoLearner.load(a.apo(), tensors, scalars, names);
    }

    @Override
    public void close() {
        workers.close();
    }
}
