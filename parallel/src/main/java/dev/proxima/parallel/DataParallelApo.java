package dev.proxima.parallel;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoRule;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Synchronous data-parallel APO: one instance per worker, each wrapping an {@link Apo} whose
 * {@linkplain Apo#gradientReducer gradient reducer} is an all-reduce over the
 * {@link Collective}. Every step averages the base gradient of the workers' shards of B, and
 * every meta-step averages the meta-gradient of their shards of B (the loss after the
 * lookahead) and of B' (the function-space term), so all workers take the same step, the same
 * meta-step, and hold the same θ and the same φ, bit for bit (the all-reduce is deterministic,
 * see {@link Collective}). Two all-reduces per meta-step, one per other step; the meta-gradient
 * is as small as φ.
 *
 * <pre>{@code
 * // on worker r of p:
 * var apo = new DataParallelApo<>(collective, ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), config),
 *         model::apply, Losses::crossEntropy, model.params(), config);
 * for (...) apo.step(shard(x, r, p), shard(y, r, p), shard(xMeta, r, p));
 * }</pre>
 *
 * <p>Every worker's shard of B must have as many examples as every other's, and likewise for
 * B' (the global batches divisible by the workers): the meta-objective is a sum of three
 * terms, a mean over B, a mean over B' and the weight-space term, which one weighted mean
 * cannot combine when the shards of B and of B' are split in different proportions. Each step
 * checks it, with the shard sizes riding along in the gradient's all-reduce, and fails on
 * every worker with an error naming the sizes otherwise. The constructor broadcasts rank 0's
 * initial parameters. Not thread-safe: one instance per worker.
 *
 * @param <S> the base optimizer's state
 */
public final class DataParallelApo<S> {
    private final Collective collective;
    private final ParamsAllReduce reduce;
    private final Apo<S> apo;
    private int examples, metaExamples; // this step's shard sizes, checked at the first reduce
    private boolean checked;
    private long exchangeNanos;

    /**
     * @param collective this worker's collective
     * @param rule       APO's update rule (ApoLr, ApoPrecond); the same on every worker
     * @param model      the model as a function of its parameters
     * @param loss       (output, target) -> the mean loss over the rows given
     * @param initial    the initial parameters (rank 0's are used everywhere)
     * @param config     APO's settings; lookaheadSteps must be 1
     */
    public DataParallelApo(Collective collective, ApoRule<S> rule, BiFunction<Params, Tensor, Tensor> model,
                           BiFunction<Tensor, Tensor, Tensor> loss, Params initial, ApoConfig config) {
        this.collective = Objects.requireNonNull(collective, "DataParallelApo: collective");
        this.reduce = new ParamsAllReduce(collective);
        Params start = DataParallelTrainer.broadcast(collective, initial.detach(), 0);
        this.apo = new Apo<>(rule, model, loss, start, config).gradientReducer(this::mean);
    }

    /** The wrapped optimizer: θ ({@link Apo#params()}), φ ({@link Apo#meta()}), listeners. */
    public Apo<S> apo() { return apo; }

    public Params params() { return apo.params(); }

    public Params meta() { return apo.meta(); }

    public Collective collective() { return collective; }

    /** Wall time of the last step's all-reduces (the gradient's, and the meta-gradient's on a meta-step), in nanoseconds. */
    public long lastExchangeNanos() { return exchangeNanos; }

    /**
     * One step on this worker's shards: {@code (x, y)} of B and {@code xMeta} of B' (null: B
     * itself). Returns the mean loss over the global batch B, the same on every worker.
     */
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        examples = rows(x);
        metaExamples = xMeta == null ? examples : rows(xMeta);
        checked = false;
        exchangeNanos = 0;
        return apo.step(x, y, xMeta);
    }

    /**
     * Whether p sizes n_i with these sums are all the same: p·Σn_i² − (Σn_i)² = Σ_{i<j}(n_i − n_j)²
     * is 0 then and at least 1 otherwise. The sums may have travelled as float32, exact while
     * Σn_i² < 2^24 (shards up to 4096/√p rows); past that a relative test catches all but
     * near-equal sizes.
     */
    private static boolean allEqual(double sum, double sumOfSquares, int p) {
        double gap = sumOfSquares * p - sum * sum;
        return sumOfSquares < (1 << 24) ? gap == 0 : Math.abs(gap) <= 1e-5 * sum * sum;
    }

    private static int rows(Tensor t) {
        return t.ndim() == 0 ? 1 : t.shape(0);
    }

    /** The reducer Apo calls: the plain mean, with the first call of a step checking the shard sizes. */
    private Params mean(Params local) {
        long t0 = System.nanoTime();
        Params out;
        if (checked) {
            out = reduce.apply(local);
        } else {
            double n = examples, m = metaExamples;
            ParamsAllReduce.Weighted w = reduce.weightedMean(local, 1, n, n * n, m, m * m);
            double[] s = w.scalarSums();
            int p = collective.size();
            if (!allEqual(s[0], s[1], p) || !allEqual(s[2], s[3], p))
                throw new IllegalArgumentException("DataParallelApo.step: the " + p + " workers' shards differ in size (this worker, rank "
                        + collective.rank() + ": " + examples + " of B, " + metaExamples + " of B'; totals " + (long) s[0] + " and "
                        + (long) s[2] + "): APO's meta-objective needs equal shards, so make the global batches divisible by " + p);
            out = w.mean();
            checked = true;
        }
        exchangeNanos += System.nanoTime() - t0;
        return out;
    }
}
