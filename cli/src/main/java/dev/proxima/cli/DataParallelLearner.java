package dev.proxima.cli;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.StateCodec;
import dev.proxima.optim.UpdateRule;
import dev.proxima.parallel.DataParallelTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * {@code --workers N}: synchronous data-parallel training on N worker threads, each with its
 * own {@link DataParallelTrainer} on one member of a {@link WorkerGroup}'s collectives
 * (shared memory, or a TCP ring over 127.0.0.1 for {@code --transport ring}). Each step splits
 * the global batch into N shards ({@link DataParallelTrainer#shard}), every worker computes its shard's
 * gradient, the gradients are averaged in one all-reduce and every worker applies the same
 * rule to the same average, so all hold the same parameters.
 *
 * <p>The training loop stays on the caller's thread: it hands each step to the workers and
 * waits for them, and everything it reads (parameters for evaluation and BatchNorm
 * calibration, the checkpoint, the learning rate) is rank 0's. The checkpoint holds what a
 * one-worker run's holds (parameters and the rule's state), so either can resume the other.
 *
 * <p>BatchNorm in training mode normalizes over each worker's shard (as PyTorch's
 * DistributedDataParallel does without SyncBatchNorm), so a model with BatchNorm trains
 * slightly differently on N workers than on one; models without it get the gradient of the
 * global batch up to the order of the floating-point sums.
 */
final class DataParallelLearner<S> implements Learner {
    private final UpdateRule<S> rule;
    private final Task task;
    private final BiFunction<Params, Tensor, Tensor> model;
    private final WorkerGroup workers;
    private final List<DataParallelTrainer<S>> trainers = new ArrayList<>();

    DataParallelLearner(UpdateRule<S> rule, Task task, Params init, int workers, String transport) {
        this.rule = rule;
        this.task = task;
        this.model = task.function();
        this.workers = new WorkerGroup(workers, transport);
        start(init.detach(), null);
    }

    /** New trainers from rank 0's parameters and a state every worker shares (null: the rule's initial state). */
    private void start(Params params, S state) {
        List<DataParallelTrainer<S>> fresh = workers.onEveryWorker(r -> new DataParallelTrainer<>(workers.collective(r), rule, params, state));
        trainers.clear();
        trainers.addAll(fresh);
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        int n = workers.size();
        List<Double> losses = workers.onEveryWorker(r -> {
            Tensor xs = DataParallelTrainer.shard(x, r, n), ys = DataParallelTrainer.shard(y, r, n);
            return trainers.get(r).step((p, unused) -> task.loss(model.apply(p, xs), ys), null, task.weight(ys));
        });
        return losses.get(0); // the global batch's mean, the same on every rank
    }

    @Override
    public Params params() {
        return trainers.get(0).params();
    }

    @Override
    public double lr() {
        return rule.learningRate(trainers.get(0).state());
    }

    @Override
    public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
        StateCodec.encode("param", params(), tensors, scalars);
        StateCodec.encode("state", trainers.get(0).state(), tensors, scalars);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void load(Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
        Params params = (Params) StateCodec.decode("param", Params.class, tensors, scalars, names);
        S state = (S) StateCodec.decode("state", Object.class, tensors, scalars, names);
        start(params, state); // states are values: the workers can share one
    }

    @Override
    public void close() {
        workers.close();
    }
}
