package dev.proxima.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Module;
import dev.proxima.nn.ReLU;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.functional.Losses;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Schedules;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * What a step reports and what the study needs of the library: the rate a step used
 * ({@link Learner#lastLr}, {@link Fit.Step#lr}), APO's second batch from an order of its own
 * ({@link Fit#secondBatchOrder}), and KFAC's {@link KfacOptions} (the true Fisher from a seed,
 * another N).
 */
class StepReportTest {
    private static final int IN = 5, CLASSES = 3;

    private static Module model(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(IN, 8, rng), new ReLU(), new Linear(8, CLASSES, rng));
    }

    private static Dataset data(long seed, int n) {
        NDArray x = NDArray.randn(new Rng(seed ^ 0x5eed), DType.FLOAT32, n, IN);
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = (i * 5 + (int) (seed & 1)) % CLASSES;
        return new ArrayDataset(x, NDArray.of(labels, n).to(DType.INT32));
    }

    /** Runs {@code learner} through a Fit of one epoch; returns the rates its steps reported. */
    private static List<Double> reportedRates(Learner learner, Dataset data, int batch, long seed) {
        List<Double> rates = new ArrayList<>();
        new Fit(learner, data, batch, seed, 1, 0, b -> b, () -> new Evaluation.Result(Double.NaN, Double.NaN))
                .run(Fit.Position.START, new Fit.Listener() {
                    @Override
                    public boolean stepped(Fit.Step s) {
                        rates.add(s.lr());
                        assertTrue(s.nanos() > 0, "the step's time");
                        return true;
                    }
                });
        return rates;
    }

    /** A step-decay rule reports, step by step, the rate its update used: 0.1, then ×0.1 at each milestone. */
    @Property(tries = 5)
    void aScheduledRuleReportsTheRateEachStepUsed(@ForAll @IntRange(min = 0, max = 100) int seed) {
        Learner l = Learner.of(Sgd.builder().lr(0.1).momentum(0.9).schedule(Schedules.multiStep(0.1, 2, 4)).build(),
                Objective.of(model(seed), Losses::crossEntropy));
        assertTrue(Double.isNaN(l.lastLr()), "no step yet");
        List<Double> rates = reportedRates(l, data(seed, 48), 8, seed);
        double[] want = {0.1, 0.1, 0.01, 0.01, 0.001, 0.001};
        assertEquals(want.length, rates.size());
        for (int i = 0; i < want.length; i++) assertEquals(want[i], rates.get(i), 1e-15, "step " + i);
    }

    /** APO's meta-step sets the rate before the update it scales: the step reports that rate, not the one before it. */
    @Property(tries = 5)
    void apoReportsTheRateItsMetaStepLeft(@ForAll @IntRange(min = 0, max = 100) int seed) {
        ApoConfig c = ApoConfig.builder().initialLr(0.05).divergence(Divergence.KL).metaInterval(1).build();
        Learner l = Learner.apo(ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), c), Objective.of(model(seed), Losses::crossEntropy), c);
        Dataset d = data(seed, 32);
        Batch b = d.get(range(0, 16)), meta = d.get(range(16, 32));
        assertTrue(Double.isNaN(l.lastLr()), "no step yet");
        for (int t = 0; t < 3; t++) {
            double before = l.lr();
            l.step(b.x(), b.y(), meta.x());
            assertEquals(l.lr(), l.lastLr(), 0.0, "the rate the step used is the one its meta-step left");
            assertTrue(l.lastLr() != before, "every step's meta-step moves the rate: " + before);
        }
    }

    /**
     * With {@link Fit#secondBatchOrder}, B' at batch k of epoch e is batch k of epoch e of the
     * training set shuffled with that seed; without it, the batch half an epoch ahead of B.
     */
    @Property(tries = 10)
    void theSecondBatchComesFromItsOwnOrder(@ForAll @IntRange(min = 0, max = 1000) int seed, @ForAll boolean ownOrder) {
        int n = 40, batch = 8, epochs = 2;
        Dataset d = new ArrayDataset(NDArray.arange(0, n, 1, DType.FLOAT32).reshape(n, 1), NDArray.arange(0, n, 1, DType.FLOAT32));
        List<float[]> bs = new ArrayList<>(), metas = new ArrayList<>();
        Learner recorder = recorder(bs, metas);
        Fit fit = new Fit(recorder, d, batch, seed, epochs, 0, b -> b, () -> new Evaluation.Result(0, 0));
        if (ownOrder) fit.secondBatchOrder(seed + 7);
        fit.run(Fit.Position.START, new Fit.Listener() {});
        DataLoader first = DataLoader.of(d, batch).shuffle(seed).dropLast(true), second = DataLoader.of(d, batch).shuffle(seed + 7).dropLast(true);
        int k = 0, per = n / batch;
        for (int e = 0; e < epochs; e++) {
            List<Batch> epoch = list(first.epoch(e)), other = list(second.epoch(e));
            for (int i = 0; i < per; i++, k++) {
                assertArrayEquals(epoch.get(i).x().toFloatArray(), bs.get(k), "B at step " + k);
                float[] want = ownOrder ? other.get(i).x().toFloatArray() : epoch.get((i + per / 2) % per).x().toFloatArray();
                assertArrayEquals(want, metas.get(k), "B' at step " + k);
            }
        }
        assertEquals(k, bs.size());
    }

    /**
     * KFAC's true Fisher: a function of its seed (two learners with one seed take the same
     * steps; another seed, or the empirical Fisher, others), as is N ({@link KfacOptions#examples}).
     */
    @Property(tries = 5)
    void kfacsTrueFisherIsAFunctionOfItsSeed(@ForAll @IntRange(min = 0, max = 1000) int seed) {
        Dataset d = data(seed, 64);
        KfacOptions sampled = KfacOptions.EMPIRICAL.trueFisher(KfacOptions.sampledCrossEntropy(), seed);
        Params a = trained(sampled, d, seed), again = trained(sampled, d, seed);
        Params otherSeed = trained(KfacOptions.EMPIRICAL.trueFisher(KfacOptions.sampledCrossEntropy(), seed + 1L), d, seed);
        Params empirical = trained(KfacOptions.EMPIRICAL, d, seed);
        Params otherN = trained(KfacOptions.EMPIRICAL.examples((x, y) -> 4 * x.shape(0)), d, seed);
        for (String name : a.names()) assertArrayEquals(a.get(name).toFloatArray(), again.get(name).toFloatArray(), name);
        assertFalse(same(a, otherSeed), "another seed draws other targets");
        assertFalse(same(a, empirical), "the true Fisher is not the empirical one");
        assertFalse(same(empirical, otherN), "N scales the factors against the damping");
    }

    private static Params trained(KfacOptions options, Dataset d, long seed) {
        Learner l = Learner.kfac(Kfac.builder().lr(0.05).damping(1e-2).inverseEvery(1).build(), Objective.of(model(seed), Losses::crossEntropy),
                0.05, options);
        for (int t = 0; t < 3; t++) {
            Batch b = d.get(range(16 * t, 16 * t + 16));
            l.step(b.x(), b.y(), null);
            assertEquals(0.05, l.lastLr());
        }
        return l.params();
    }

    private static boolean same(Params a, Params b) {
        for (String name : a.names()) if (!Arrays.equals(a.get(name).toFloatArray(), b.get(name).toFloatArray())) return false;
        return true;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    private static List<Batch> list(Iterable<Batch> batches) {
        List<Batch> out = new ArrayList<>();
        batches.forEach(out::add);
        return out;
    }

    /** A learner that only records the inputs of B and B' it is stepped with. */
    private static Learner recorder(List<float[]> bs, List<float[]> metas) {
        return new Learner() {
            @Override public double step(Tensor x, Tensor y, Tensor xMeta) {
                bs.add(x.toFloatArray());
                metas.add(xMeta.toFloatArray());
                return 0;
            }
            @Override public boolean usesSecondBatch() { return true; }
            @Override public Params params() { return Params.of(java.util.Map.of()); }
            @Override public Params buffers() { return Params.of(java.util.Map.of()); }
            @Override public double lr() { return 1; }
            @Override public double lastLr() { return 1; }
            @Override public TrainState state() { return new TrainState(params(), buffers(), null, 0); }
            @Override public void restore(TrainState state) {}
        };
    }
}
