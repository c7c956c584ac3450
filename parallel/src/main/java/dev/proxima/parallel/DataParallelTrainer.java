package dev.proxima.parallel;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.UpdateRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Synchronous data-parallel training: one trainer per worker, each holding the same
 * parameters and optimizer state. A step computes the loss gradient of this worker's shard,
 * averages the gradients of all shards with one all-reduce (weighted by shard size, so the
 * result is the gradient of the global batch), and applies the {@link UpdateRule} to the
 * average. Every worker then computes the same update from the same inputs, so parameters
 * stay identical without being sent again; the all-reduce is deterministic (see
 * {@link Collective}), so reruns repeat the bits.
 *
 * <pre>{@code
 * // on worker r of p (a thread with group.get(r), or a process with its RingCollective):
 * var trainer = new DataParallelTrainer<>(collective, Adam.builder().lr(1e-3).build(), model.params());
 * for (...) {
 *     Tensor x = DataParallelTrainer.shard(batchX, r, p), y = DataParallelTrainer.shard(batchY, r, p);
 *     double loss = trainer.step((params, xs, ys) -> Losses.crossEntropy(model.apply(params, xs), ys), x, y);
 * }
 * model.setParams(trainer.params());
 * }</pre>
 *
 * <p>The loss is the <em>mean</em> over the shard's examples. Not thread-safe: one trainer
 * per worker. The constructor broadcasts rank 0's initial parameters so all workers start
 * from the same point even if they initialized differently.
 *
 * @param <S> the update rule's state
 */
public final class DataParallelTrainer<S> {

    /** A loss of parameters and one shard of inputs and targets (mean over the shard). */
    @FunctionalInterface
    public interface XyLoss {
        Tensor apply(Params params, Tensor x, Tensor y);
    }

    private final Collective collective;
    private final UpdateRule<S> rule;
    private final ParamsAllReduce reduce;
    private Params params;
    private S state;
    private long steps;
    private long lastExchangeNanos;

    /** A trainer on {@code collective}, starting from rank 0's {@code initial} parameters. */
    public DataParallelTrainer(Collective collective, UpdateRule<S> rule, Params initial) {
        this(collective, rule, initial, null);
    }

    /**
     * A trainer resuming from a checkpoint: rank 0's {@code initial} parameters and the rule's
     * {@code state} (every worker must pass the same state; null starts afresh).
     */
    public DataParallelTrainer(Collective collective, UpdateRule<S> rule, Params initial, S state) {
        this.collective = Objects.requireNonNull(collective, "DataParallelTrainer: collective");
        this.rule = Objects.requireNonNull(rule, "DataParallelTrainer: rule");
        this.reduce = new ParamsAllReduce(collective);
        this.params = broadcast(collective, initial.detach(), 0);
        this.state = state != null ? state : rule.init(params);
    }

    public Params params() { return params; }

    public S state() { return state; }

    public Collective collective() { return collective; }

    public UpdateRule<S> rule() { return rule; }

    /** Steps taken. */
    public long steps() { return steps; }

    /**
     * Wall time of the last step's all-reduce, in nanoseconds: the exchange itself plus any
     * wait for a slower worker to arrive.
     */
    public long lastExchangeNanos() { return lastExchangeNanos; }

    /**
     * The reducer this trainer averages with, for a training loop that needs another
     * gradient averaged over the workers: call it at the same point on every worker. (APO
     * has its own wrapper, {@link DataParallelApo}, which averages its meta-gradient too.)
     */
    public ParamsAllReduce reducer() { return reduce; }

    /** One step on this worker's shard {@code (x, y)}; its examples are {@code x}'s first dimension. */
    public double step(XyLoss loss, Tensor x, Tensor y) {
        return step((p, b) -> loss.apply(p, x, y), null, x.ndim() == 0 ? 1 : x.shape(0));
    }

    /**
     * One step: the gradient of {@code loss(params, shard)} (a mean over {@code examples}
     * examples; a worker with 0 examples contributes nothing and {@code loss} is not called),
     * averaged over the workers, then the update. Returns the global batch's mean loss.
     */
    public <B> double step(BiFunction<Params, B, Tensor> loss, B shard, int examples) {
        if (examples < 0) throw new IllegalArgumentException("DataParallelTrainer.step: examples must be >= 0, got " + examples);
        Params grads;
        double lossValue = 0;
        if (examples > 0) {
            Autograd.ValueAndGrad vg = Autograd.valueAndGrad(p -> loss.apply(p, shard), params);
            grads = vg.grads();
            lossValue = vg.loss();
        } else {
            grads = params.map(Tensor::zerosLike);
        }
        long t0 = System.nanoTime();
        ParamsAllReduce.Weighted avg = reduce.weightedMean(grads, examples, lossValue * examples);
        lastExchangeNanos = System.nanoTime() - t0;
        if (avg.totalWeight() == 0) throw new IllegalStateException("DataParallelTrainer.step: no worker had any examples");
        UpdateRule.Step<S> u = rule.step(avg.mean(), state, params);
        params = u.params();
        state = u.state();
        steps++;
        return avg.scalarSums()[0] / avg.totalWeight();
    }

    /**
     * Shard {@code rank} of {@code size} of a batch along its first dimension: the rows
     * {@code [rank*n/size, (rank+1)*n/size)}, the same partition the collectives use.
     */
    public static Tensor shard(Tensor batch, int rank, int size) {
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("DataParallelTrainer.shard: rank " + rank + " outside " + size + " workers");
        int n = batch.shape(0);
        return batch.slice(0, Chunks.start(n, size, rank), Chunks.end(n, size, rank));
    }

    /** The same tree on every worker: rank {@code root}'s values (names and shapes must agree). */
    public static Params broadcast(Collective collective, Params tree, int root) {
        if (collective.size() == 1) return tree;
        List<Tensor> values = tree.values();
        List<Tensor> out = new ArrayList<>(values.size());
        for (Tensor t : values) {
            if (t.dtype() == dev.proxima.tensor.DType.FLOAT32) {
                float[] a = t.toFloatArray();
                collective.broadcast(a, root);
                out.add(Tensor.of(a, t.shape()).to(t.device()));
            } else {
                double[] a = t.toDoubleArray();
                collective.broadcast(a, root);
                Tensor back = Tensor.of(a, t.shape());
                out.add((t.dtype() == dev.proxima.tensor.DType.FLOAT64 ? back : back.to(t.dtype())).to(t.device()));
            }
        }
        return tree.withValues(out);
    }

    /**
     * Runs {@code work} once per member of {@code group}, each on its own thread, and returns
     * the results in rank order. If a worker fails, the others are released (their
     * collectives closed, so they fail fast instead of waiting out their timeout) and the
     * first failure is rethrown. Closes every member at the end.
     */
    public static <C extends Collective, T> List<T> runOnThreads(List<C> group, Function<C, T> work) {
        ExecutorService pool = Executors.newFixedThreadPool(group.size(), r -> {
            Thread t = new Thread(r, "data-parallel-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            return runOn(pool, group, work);
        } finally {
            pool.shutdownNow();
            group.forEach(Collective::close);
        }
    }

    /**
     * {@link #runOnThreads} on a pool the caller keeps (a training loop runs one step after
     * another on the same threads): {@code work} once per member, all at once, the results in
     * rank order. A worker that fails closes its own collective, so the others fail at once
     * instead of waiting out their timeout, and its failure (not their "rank k closed") is the
     * one rethrown. The pool needs at least {@code group.size()} threads; nothing is closed.
     */
    public static <C extends Collective, T> List<T> runOn(ExecutorService pool, List<C> group, Function<C, T> work) {
        List<Future<T>> futures = new ArrayList<>();
        for (C c : group) futures.add(pool.submit(() -> {
            try {
                return work.apply(c);
            } catch (RuntimeException | Error e) {
                c.close(); // the others notice at once
                throw e;
            }
        }));
        List<T> results = new ArrayList<>();
        Throwable first = null;
        for (Future<T> f : futures) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                if (first == null || first instanceof CollectiveException && !(e.getCause() instanceof CollectiveException))
                    first = e.getCause(); // prefer the root cause over the others' "rank k closed"
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException("DataParallelTrainer: interrupted while waiting for the workers", e);
            }
        }
        if (first instanceof RuntimeException re) throw re;
        if (first instanceof Error err) throw err;
        return results;
    }
}
