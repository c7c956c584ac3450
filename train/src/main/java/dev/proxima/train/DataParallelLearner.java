package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.optim.UpdateRule;
import dev.proxima.parallel.DataParallelTrainer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Learner#dataParallel}: synchronous data-parallel steps on a {@link WorkerGroup},
 * each worker with its own {@link DataParallelTrainer}. Each step splits the global batch into
 * one shard per worker ({@link DataParallelTrainer#shard}), every worker computes its shard's
 * gradient, the gradients are averaged in one all-reduce (weighted by
 * {@link Objective#weight}) and every worker applies the same rule to the same average, so
 * all hold the same parameters.
 *
 * <p>What it reports (parameters, buffers, rate, state) is rank 0's, and its state is what a
 * one-worker learner's is, so either can restore the other. BatchNorm in training mode
 * normalizes over each worker's shard and each worker's running statistics follow its own
 * shards (as PyTorch's DistributedDataParallel does without SyncBatchNorm); models without it
 * get the gradient of the global batch up to the order of the floating-point sums.
 */
final class DataParallelLearner<S> implements Learner {
    private final UpdateRule<S> rule;
    private final Objective objective;
    private final WorkerGroup workers;
    private final List<DataParallelTrainer<S>> trainers = new ArrayList<>();
    private final Params[] buffers;
    private long steps;
    private double lastLr = Double.NaN;

    DataParallelLearner(UpdateRule<S> rule, Objective objective, WorkerGroup workers) {
        this.rule = rule;
        this.objective = objective;
        this.workers = workers;
        this.buffers = new Params[workers.size()];
        start(objective.model().params().detach(), objective.model().buffers().detach(), null);
    }

    /** New trainers from rank 0's parameters and a state every worker shares (null: the rule's initial state). */
    private void start(Params params, Params startBuffers, S state) {
        List<DataParallelTrainer<S>> fresh = workers.onEveryWorker(r -> new DataParallelTrainer<>(workers.collective(r), rule, params, state));
        trainers.clear();
        trainers.addAll(fresh);
        java.util.Arrays.fill(buffers, startBuffers);
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        int n = workers.size();
        lastLr = lr();
        List<Double> losses = workers.onEveryWorker(r -> {
            Tensor xs = DataParallelTrainer.shard(x, r, n), ys = DataParallelTrainer.shard(y, r, n);
            Params[] moved = {buffers[r]};
            double loss = trainers.get(r).step((p, unused) -> {
                Module.Applied a = objective.forward(p, buffers[r], xs);
                moved[0] = a.buffers();
                return objective.loss().apply(a.output(), ys);
            }, null, objective.weight().applyAsInt(ys));
            buffers[r] = moved[0];
            return loss;
        });
        steps++;
        return losses.get(0); // the global batch's mean, the same on every rank
    }

    @Override
    public Params params() {
        return trainers.get(0).params();
    }

    @Override
    public Params buffers() {
        return buffers[0];
    }

    @Override
    public double lr() {
        return rule.learningRate(trainers.get(0).state());
    }

    @Override
    public double lastLr() {
        return lastLr;
    }

    @Override
    public TrainState state() {
        return new TrainState(params(), buffers(), trainers.get(0).state(), steps);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restore(TrainState s) {
        start(s.params(), s.buffers().detach(), (S) s.optimizer()); // states are values: the workers can share one
        steps = s.step();
    }

    @Override
    public void close() {
        workers.close();
    }
}
