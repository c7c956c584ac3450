package dev.proxima.parallel;

import static dev.proxima.parallel.DataParallelTrainerProperties.assertIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.tensor.Rng;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel APO equals APO in one process on the global batches B and B' (to float
 * tolerance): the meta-steps average the meta-gradient over the workers, so every worker
 * holds the same φ and θ, bit for bit, on threads and on the TCP ring alike, run after run.
 */
class DataParallelApoProperties {
    private static final int IN = 5, OUT = 3, STEPS = 5; // the MLP of DataParallelTrainerProperties.init

    static final BiFunction<Params, Tensor, Tensor> MLP = (p, x) -> x.matmul(p.get("w1")).add(p.get("b1")).tanh()
            .matmul(p.get("w2")).add(p.get("b2"));
    static final BiFunction<Tensor, Tensor, Tensor> MSE = (out, y) -> out.sub(y).square().mean();

    /** K = 2 (meta-steps at 0, 2, 4), both proximal terms on, a learning rate APO moves quickly. */
    static ApoConfig config() {
        return ApoConfig.builder().metaInterval(2).lambdaFsd(1).lambdaWsd(0.5).initialLr(0.05).metaLr(0.2)
                .divergence(dev.proxima.optim.apo.Divergence.HALF_SQUARED_ERROR).build();
    }

    static ApoRule<?> rule(boolean precond) {
        return precond ? new ApoPrecond(config()) : ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), config());
    }

    /** Per step: x and y of B, x of B'. */
    static List<Tensor[]> batches(long seed, int batch, int metaBatch) {
        Rng rng = new Rng(seed + 1);
        List<Tensor[]> out = new ArrayList<>();
        for (int i = 0; i < STEPS; i++)
            out.add(new Tensor[] {Tensor.randn(rng, batch, IN), Tensor.randn(rng, batch, OUT), Tensor.randn(rng, metaBatch, IN)});
        return out;
    }

    /** What a run leaves: θ, φ, and the losses the steps returned. */
    record Run(Params params, Params meta, List<Double> losses) {}

    @SuppressWarnings({"rawtypes", "unchecked"})
    static Run single(boolean precond, Params start, List<Tensor[]> data) {
        Apo apo = new Apo(rule(precond), MLP, MSE, start, config());
        List<Double> losses = new ArrayList<>();
        for (Tensor[] b : data) losses.add(apo.step(b[0], b[1], b[2]));
        return new Run(apo.params(), apo.meta(), losses);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    static List<Run> parallel(String kind, int workers, boolean precond, Params start, List<Tensor[]> data) {
        List<? extends Collective> group = kind.equals("ring")
                ? RingCollective.local(workers, Duration.ofSeconds(30)) : ThreadCollective.group(workers, Duration.ofSeconds(30));
        return DataParallelTrainer.runOnThreads(group, c -> {
            // Worker r > 0 starts from other values: the constructor's broadcast must overwrite them.
            Params mine = c.rank() == 0 ? start : start.map(t -> t.add(1.0));
            DataParallelApo apo = new DataParallelApo(c, rule(precond), MLP, MSE, mine, config());
            List<Double> losses = new ArrayList<>();
            for (Tensor[] b : data) {
                int r = c.rank(), p = c.size();
                losses.add(apo.step(DataParallelTrainer.shard(b[0], r, p), DataParallelTrainer.shard(b[1], r, p),
                        DataParallelTrainer.shard(b[2], r, p)));
            }
            return new Run(apo.params(), apo.meta(), losses);
        });
    }

    @Property(tries = 6)
    void equalsSingleProcessApoOnTheGlobalBatches(@ForAll @IntRange(min = 1, max = 3) int workers,
                                                  @ForAll @IntRange(min = 1, max = 5) int rowsPerWorker,
                                                  @ForAll @IntRange(min = 1, max = 3) int metaRowsPerWorker,
                                                  @ForAll boolean precond, @ForAll long seed) {
        Params start = DataParallelTrainerProperties.init(seed);
        List<Tensor[]> data = batches(seed, workers * rowsPerWorker, workers * metaRowsPerWorker);
        Run want = single(precond, start, data);
        List<Run> threads = parallel("thread", workers, precond, start, data);
        List<Run> ring = parallel("ring", workers, precond, start, data);
        for (List<Run> runs : List.of(threads, ring))
            for (Run got : runs) {
                assertIdentical(runs.get(0).params(), got.params()); // every worker: the same θ
                assertIdentical(runs.get(0).meta(), got.meta());     // and the same φ, bit for bit
                assertEquals(runs.get(0).losses(), got.losses());
                assertClose(want.params(), got.params(), workers);
                assertClose(want.meta(), got.meta(), workers);
                for (int i = 0; i < STEPS; i++)
                    assertEquals(want.losses().get(i), got.losses().get(i), 1e-5 * (1 + Math.abs(want.losses().get(i))), "loss " + i);
            }
        assertIdentical(threads.get(0).params(), ring.get(0).params()); // threads and ring sum in the same order
        assertIdentical(threads.get(0).meta(), ring.get(0).meta());
        // and φ did move: the meta-steps took part
        assertTrue(Math.abs(want.meta().get("lr").item() - Math.log(config().initialLr())) > 1e-3, "φ never moved");
    }

    @Property(tries = 2)
    void repeatedRunsAreBitIdentical(@ForAll boolean precond, @ForAll long seed) {
        Params start = DataParallelTrainerProperties.init(seed);
        List<Tensor[]> data = batches(seed, 6, 4);
        Run first = parallel("ring", 2, precond, start, data).get(0);
        for (String kind : List.of("ring", "thread")) {
            Run again = parallel(kind, 2, precond, start, data).get(1);
            assertIdentical(first.params(), again.params());
            assertIdentical(first.meta(), again.meta());
        }
    }

    @Test
    void unevenShardsFailOnEveryWorkerNamingTheSizes() {
        Params start = DataParallelTrainerProperties.init(1);
        List<Tensor[]> data = batches(1, 5, 4); // 5 rows of B over 2 workers: 2 and 3
        var e = assertThrows(IllegalArgumentException.class, () -> parallel("thread", 2, false, start, data));
        assertTrue(e.getMessage().contains("differ in size") && e.getMessage().contains("divisible by 2"), e.getMessage());
    }

    @Test
    void anUnrolledLookaheadIsRefused() {
        ApoConfig unrolled = ApoConfig.builder().lookaheadSteps(2).build();
        var e = assertThrows(IllegalArgumentException.class, () -> DataParallelTrainer.runOnThreads(ThreadCollective.group(1),
                c -> new DataParallelApo<>(c, new ApoPrecond(unrolled), MLP, MSE, DataParallelTrainerProperties.init(2), unrolled)));
        assertTrue(e.getMessage().contains("lookaheadSteps"), e.getMessage());
    }

    static void assertClose(Params want, Params got, int workers) {
        assertEquals(want.names(), got.names());
        for (String name : want.names()) {
            float[] w = want.get(name).toFloatArray(), g = got.get(name).toFloatArray();
            for (int i = 0; i < w.length; i++)
                assertEquals(w[i], g[i], 2e-4 * (1 + Math.abs(w[i])), name + "[" + i + "] with " + workers + " workers");
        }
    }
}
