package dev.proxima.cli;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.UpdateRule;
import dev.proxima.parallel.Collective;
import dev.proxima.parallel.CollectiveException;
import dev.proxima.parallel.DataParallelTrainer;
import dev.proxima.parallel.RingCollective;
import dev.proxima.parallel.ThreadCollective;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * {@code --workers N}: synchronous data-parallel training on N worker threads, each with its
 * own {@link DataParallelTrainer} on one member of a {@link Collective} (shared memory, or a
 * TCP ring over 127.0.0.1 for {@code --transport ring}). Each step splits the global batch
 * into N shards ({@link DataParallelTrainer#shard}), every worker computes its shard's
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
    /** A worker waits this long for a slower one in an all-reduce before giving up. */
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final UpdateRule<S> rule;
    private final Task task;
    private final BiFunction<Params, Tensor, Tensor> model;
    private final List<? extends Collective> group;
    private final ExecutorService pool;
    private final List<DataParallelTrainer<S>> trainers = new ArrayList<>();

    DataParallelLearner(UpdateRule<S> rule, Task task, Params init, int workers, String transport) {
        this.rule = rule;
        this.task = task;
        this.model = task.function();
        this.group = switch (transport) {
            case TrainConfig.THREAD -> ThreadCollective.group(workers, TIMEOUT);
            case TrainConfig.RING -> RingCollective.local(workers, TIMEOUT);
            default -> throw new IllegalArgumentException("no transport '" + transport + "'");
        };
        // One thread per rank: every rank blocks in the all-reduce until all have arrived.
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "proxima-train-worker");
            t.setDaemon(true);
            return t;
        });
        start(init.detach(), null);
    }

    /** New trainers from rank 0's parameters and a state every worker shares (null: the rule's initial state). */
    private void start(Params params, S state) {
        List<DataParallelTrainer<S>> fresh = onEveryWorker(r -> new DataParallelTrainer<>(group.get(r), rule, params, state));
        trainers.clear();
        trainers.addAll(fresh);
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        int n = group.size();
        List<Double> losses = onEveryWorker(r -> {
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
        pool.shutdownNow();
        group.forEach(Collective::close);
    }

    /**
     * {@code work(rank)} on every worker at once; the results in rank order. A worker that
     * fails closes its collective, so the others fail at once instead of waiting out the
     * timeout, and its failure (not their "rank k closed") is the one thrown.
     */
    private <T> List<T> onEveryWorker(IntFunction<T> work) {
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            int rank = r;
            futures.add(pool.submit(() -> {
                try {
                    return work.apply(rank);
                } catch (RuntimeException | Error e) {
                    group.get(rank).close();
                    throw e;
                }
            }));
        }
        List<T> results = new ArrayList<>();
        Throwable first = null;
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                if (first == null || first instanceof CollectiveException && !(e.getCause() instanceof CollectiveException))
                    first = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("data-parallel step interrupted", e);
            }
        }
        if (first instanceof RuntimeException re) throw re;
        if (first instanceof Error err) throw err;
        return results;
    }
}
