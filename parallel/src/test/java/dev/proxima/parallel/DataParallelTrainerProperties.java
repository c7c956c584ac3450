package dev.proxima.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Data-parallel training equals training on the whole batch in one process (to float
 * tolerance), gives every worker the same parameters, and repeats its bits run after run,
 * on threads and on the TCP ring alike.
 */
class DataParallelTrainerProperties {
    private static final int IN = 5, HIDDEN = 7, OUT = 3, STEPS = 4;

    /** A tanh MLP with a mean-squared-error loss, written in Tensor ops (parallel does not import nn). */
    static Tensor loss(Params p, Tensor x, Tensor y) {
        Tensor h = x.matmul(p.get("w1")).add(p.get("b1")).tanh();
        return h.matmul(p.get("w2")).add(p.get("b2")).sub(y).square().mean();
    }

    static Params init(long seed) {
        Rng rng = new Rng(seed);
        return Params.of("w1", Tensor.randn(rng, IN, HIDDEN).mul(0.5), "b1", Tensor.zeros(HIDDEN),
                "w2", Tensor.randn(rng, HIDDEN, OUT).mul(0.5), "b2", Tensor.zeros(OUT));
    }

    static UpdateRule<?> rule(boolean adam) {
        return adam ? Adam.builder().lr(0.05).build() : Sgd.builder().lr(0.1).momentum(0.9).build();
    }

    /** Every worker's parameters after {@link #STEPS} steps, in rank order. */
    static List<Params> trainParallel(String kind, int workers, UpdateRule<?> rule, Params start, List<Tensor[]> batches) {
        List<? extends Collective> group = kind.equals("ring")
                ? RingCollective.local(workers, Duration.ofSeconds(30)) : ThreadCollective.group(workers, Duration.ofSeconds(30));
        return DataParallelTrainer.runOnThreads(group, c -> {
            // Worker r > 0 starts from garbage: the constructor's broadcast must overwrite it.
            Params mine = c.rank() == 0 ? start : start.map(t -> t.add(1.0));
            DataParallelTrainer<?> t = new DataParallelTrainer<>(c, rule, mine);
            for (Tensor[] b : batches) {
                Tensor x = DataParallelTrainer.shard(b[0], c.rank(), c.size()), y = DataParallelTrainer.shard(b[1], c.rank(), c.size());
                t.step(DataParallelTrainerProperties::loss, x, y);
            }
            return t.params();
        });
    }

    static <S> Params trainSingle(UpdateRule<S> rule, Params start, List<Tensor[]> batches) {
        Params p = start;
        S s = rule.init(p);
        for (Tensor[] b : batches) {
            Params leaves = p.requiresGrad();
            Params g = Autograd.grad(loss(leaves, b[0], b[1]), leaves);
            try (var scope = Autograd.noGrad()) {
                Update<S> u = rule.update(g, s, p);
                p = u.applyTo(p).detach();
                s = u.state();
            }
        }
        return p;
    }

    static List<Tensor[]> batches(long seed, int batch) {
        Rng rng = new Rng(seed + 1);
        List<Tensor[]> out = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) out.add(new Tensor[] {Tensor.randn(rng, batch, IN), Tensor.randn(rng, batch, OUT)});
        return out;
    }

    @Property(tries = 8)
    void equalsSingleProcessTrainingOnTheGlobalBatch(@ForAll @IntRange(min = 1, max = 4) int workers,
                                                     @ForAll @IntRange(min = 4, max = 24) int batch,
                                                     @ForAll boolean adam, @ForAll long seed) {
        Params start = init(seed);
        List<Tensor[]> data = batches(seed, batch);
        Params single = trainSingle(rule(adam), start, data);
        List<Params> threads = trainParallel("thread", workers, rule(adam), start, data);
        List<Params> ring = trainParallel("ring", workers, rule(adam), start, data);
        for (List<Params> run : List.of(threads, ring))
            for (Params p : run) {
                assertIdentical(run.get(0), p); // every worker holds the same bits
                for (String name : single.names()) {
                    float[] want = single.get(name).toFloatArray(), got = p.get(name).toFloatArray();
                    for (int i = 0; i < want.length; i++)
                        assertEquals(want[i], got[i], 2e-4 * (1 + Math.abs(want[i])), name + "[" + i + "] with " + workers + " workers");
                }
            }
        assertIdentical(threads.get(0), ring.get(0)); // threads and ring sum in the same order
    }

    @Property(tries = 3)
    void repeatedRunsAreBitIdentical(@ForAll @IntRange(min = 2, max = 3) int workers, @ForAll long seed) {
        Params start = init(seed);
        List<Tensor[]> data = batches(seed, 9); // 9 rows over 2 or 3 workers: uneven shards too
        Params first = trainParallel("ring", workers, rule(true), start, data).get(0);
        for (String kind : List.of("ring", "thread"))
            assertIdentical(first, trainParallel(kind, workers, rule(true), start, data).get(workers - 1));
    }

    @Property(tries = 3)
    void aWorkerWithoutExamplesContributesNothing(@ForAll long seed) {
        Params start = init(seed);
        List<Tensor[]> data = batches(seed, 6);
        Params single = trainSingle(rule(false), start, data);
        List<Params> got = DataParallelTrainer.runOnThreads(ThreadCollective.group(3), c -> {
            DataParallelTrainer<?> t = new DataParallelTrainer<>(c, rule(false), start);
            for (Tensor[] b : data) {
                // rank 1 has nothing; ranks 0 and 2 split the batch 2 + 4
                int from = c.rank() == 0 ? 0 : 2, to = c.rank() == 0 ? 2 : 6;
                if (c.rank() == 1) t.step((p, unused) -> { throw new AssertionError("the loss of an empty shard is not computed"); }, null, 0);
                else t.step(DataParallelTrainerProperties::loss, b[0].slice(0, from, to), b[1].slice(0, from, to));
            }
            return t.params();
        });
        for (Params p : got)
            for (String name : single.names())
                assertArrayEquals(single.get(name).toFloatArray(), p.get(name).toFloatArray(), 1e-4f, name);
    }

    @Property(tries = 3)
    void float64ParametersStayFloat64(@ForAll long seed) {
        Params start = init(seed).map(t -> t.to(DType.FLOAT64));
        List<Tensor[]> data = batches(seed, 8).stream().map(b -> new Tensor[] {b[0].to(DType.FLOAT64), b[1].to(DType.FLOAT64)}).toList();
        Params single = trainSingle(rule(true), start, data);
        for (Params p : trainParallel("ring", 2, rule(true), start, data))
            for (String name : single.names()) {
                assertEquals(DType.FLOAT64, p.get(name).dtype());
                assertArrayEquals(single.get(name).toDoubleArray(), p.get(name).toDoubleArray(), 1e-10, name);
            }
    }

    static void assertIdentical(Params a, Params b) {
        assertEquals(a.names(), b.names());
        for (String name : a.names()) {
            float[] x = a.get(name).toFloatArray(), y = b.get(name).toFloatArray();
            for (int i = 0; i < x.length; i++)
                assertTrue(Float.floatToRawIntBits(x[i]) == Float.floatToRawIntBits(y[i]), name + "[" + i + "]: " + x[i] + " vs " + y[i]);
        }
    }
}
