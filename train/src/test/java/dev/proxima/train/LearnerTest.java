package dev.proxima.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.BatchNorm1d;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Module;
import dev.proxima.nn.ReLU;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.Dataset;
import dev.proxima.nn.functional.Losses;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The library's learners on a model with BatchNorm: the running statistics a learner ends
 * with are exactly those recomputed from the parameters and batches of each of its steps (so
 * an evaluation from them is the one a correct PyTorch loop gives), for APO as for the plain
 * rules and KFAC; and a learner restored from its saved {@link TrainState} continues bit for
 * bit as the uninterrupted one.
 */
class LearnerTest {
    private static final int IN = 6, HIDDEN = 8, CLASSES = 3;

    enum Kind { SGD, ADAM, KFAC, APO, DATA_PARALLEL_SGD, DATA_PARALLEL_APO }

    @Provide
    Arbitrary<Kind> kinds() {
        return Arbitraries.of(Kind.values());
    }

    private static Module model(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(IN, HIDDEN, rng), new BatchNorm1d(HIDDEN), new ReLU(), new Linear(HIDDEN, CLASSES, rng)).train(true);
    }

    private static Dataset data(long seed, int n) {
        Rng rng = new Rng(seed ^ 0x5eed);
        NDArray x = NDArray.randn(rng, DType.FLOAT32, n, IN).mul(2).add(1); // statistics far from the initial 0 and 1
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = (i * 7 + (int) (seed & 3)) % CLASSES;
        return new ArrayDataset(x, NDArray.of(labels, n).to(DType.INT32));
    }

    private static Learner learner(Kind kind, Objective o) {
        ApoConfig apo = ApoConfig.builder().initialLr(0.05).divergence(Divergence.KL).metaInterval(2).build();
        return switch (kind) {
            case SGD -> Learner.of(Sgd.builder().lr(0.05).momentum(0.9).build(), o);
            case ADAM -> Learner.of(Adam.builder().lr(1e-2).build(), o);
            case KFAC -> Learner.kfac(Kfac.builder().lr(0.05).momentum(0.9).build(), o, 0.05);
            case APO -> Learner.apo(ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), apo), o, apo);
            case DATA_PARALLEL_SGD -> Learner.dataParallel(Sgd.builder().lr(0.05).momentum(0.9).build(), o,
                    new WorkerGroup(2, WorkerGroup.Transport.THREAD, Duration.ofSeconds(30)));
            case DATA_PARALLEL_APO -> Learner.dataParallelApo(ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), apo), o, apo,
                    new WorkerGroup(2, WorkerGroup.Transport.THREAD, Duration.ofSeconds(30)));
        };
    }

    private static boolean dataParallel(Kind k) {
        return k == Kind.DATA_PARALLEL_SGD || k == Kind.DATA_PARALLEL_APO;
    }

    private static void assertSame(Params want, Params got, String what) {
        assertEquals(List.copyOf(want.names()), List.copyOf(got.names()), what);
        for (String n : want.names()) assertArrayEquals(want.get(n).toFloatArray(), got.get(n).toFloatArray(), what + " " + n);
    }

    @Property(tries = 12)
    void runningStatisticsAreTheStepsOwn(@ForAll("kinds") Kind kind, @ForAll @IntRange(min = 0, max = 1000) int seed,
                                         @ForAll @IntRange(min = 2, max = 6) int steps) {
        Module model = model(seed);
        Objective o = Objective.of(model, Losses::crossEntropy);
        Dataset data = data(seed, 16 * steps);
        Params initial = model.buffers();
        List<Params> thetas = new ArrayList<>();
        List<Tensor> xs = new ArrayList<>();
        try (Learner l = learner(kind, o)) {
            for (int t = 0; t < steps; t++) {
                int[] idx = new int[16];
                for (int i = 0; i < 16; i++) idx[i] = t * 16 + i;
                Batch b = data.get(idx);
                thetas.add(l.params());
                xs.add(b.x());
                int[] next = new int[16];
                for (int i = 0; i < 16; i++) next[i] = (idx[i] + 16) % data.size();
                double loss = l.step(b.x(), b.y(), data.get(next).x()); // B': the next batch
                assertTrue(Double.isFinite(loss), kind + ": loss " + loss);
            }
            // Recomputed: the step's parameters on the step's batch (a data-parallel rank 0 sees the first half).
            Params want = initial;
            for (int t = 0; t < steps; t++) {
                Tensor x = dataParallel(kind) ? xs.get(t).slice(0, 0, 8) : xs.get(t);
                want = model.applyWithBuffers(thetas.get(t), want, x).buffers();
            }
            assertSame(want, l.buffers(), kind + ": running statistics");
            double moved = 0;
            for (String n : initial.names()) {
                if (!initial.get(n).dtype().isFloating()) continue; // the batch counter: checked below
                float[] a = initial.get(n).toFloatArray(), b = l.buffers().get(n).toFloatArray();
                for (int i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i] - b[i]));
            }
            assertTrue(moved > 0.05, kind + ": the statistics barely moved (" + moved + "); the comparison would be empty");
            assertEquals(steps, (int) l.buffers().get("1.num_batches_tracked").item(), kind + ": batches tracked, one per step");
            // And the evaluation reads them: the same as the module's own after setBuffers.
            Evaluation.Result fromLearner = Evaluation.run(o, l.params(), l.buffers(), data, 10, b -> b, new Evaluation.Accuracy(-1));
            model.setBuffers(want);
            model.setParams(l.params());
            model.eval();
            Tensor out = model.forward(data.get(range(data.size())).x());
            model.train(true);
            assertEquals(Losses.crossEntropy(out, data.get(range(data.size())).y()).item(), fromLearner.loss(), 1e-5, kind + ": evaluation");
        }
    }

    private static int[] range(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return idx;
    }

    @Property(tries = 12)
    void restoredStateContinuesBitForBit(@ForAll("kinds") Kind kind, @ForAll @IntRange(min = 0, max = 1000) int seed,
                                         @ForAll @IntRange(min = 1, max = 4) int cut) {
        int steps = cut + 3;
        Dataset data = data(seed, 16 * steps);
        Function<Integer, Batch> batch = t -> {
            int[] idx = new int[16];
            for (int i = 0; i < 16; i++) idx[i] = t * 16 + i;
            return data.get(idx);
        };
        Params whole;
        Params wholeBuffers;
        try (Learner l = learner(kind, Objective.of(model(seed), Losses::crossEntropy))) {
            for (int t = 0; t < steps; t++) l.step(batch.apply(t).x(), batch.apply(t).y(), batch.apply((t + 1) % steps).x());
            whole = l.params();
            wholeBuffers = l.buffers();
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> scalars = new LinkedHashMap<>();
        try (Learner l = learner(kind, Objective.of(model(seed), Losses::crossEntropy))) {
            for (int t = 0; t < cut; t++) l.step(batch.apply(t).x(), batch.apply(t).y(), batch.apply((t + 1) % steps).x());
            l.state().save(tensors, scalars);
        }
        assertTrue(tensors.keySet().stream().anyMatch(k -> k.startsWith("buffer.")), "no buffers in the checkpoint: " + tensors.keySet());
        // A fresh model of another seed: everything must come from the saved state.
        try (Learner l = learner(kind, Objective.of(model(seed + 1), Losses::crossEntropy))) {
            l.restore(TrainState.load(tensors, scalars, l.state()));
            assertEquals(cut, l.state().step());
            for (int t = cut; t < steps; t++) l.step(batch.apply(t).x(), batch.apply(t).y(), batch.apply((t + 1) % steps).x());
            assertSame(whole, l.params(), kind + ": parameters after resuming");
            assertSame(wholeBuffers, l.buffers(), kind + ": buffers after resuming");
        }
    }

    /**
     * model.safetensors: the module's state_dict names in its order (PyTorch's: no prefix,
     * BatchNorm's num_batches_tracked counting the steps, stored as I64), the trained values, and
     * a fresh module that loads it strictly predicts in eval mode exactly as the learner's state does.
     */
    @Property(tries = 4)
    void modelFileIsTheStateDict(@ForAll("kinds") Kind kind, @ForAll @IntRange(min = 0, max = 1000) int seed) throws Exception {
        Module model = model(seed);
        Objective o = Objective.of(model, Losses::crossEntropy);
        Dataset data = data(seed, 48);
        TrainState state;
        try (Learner l = learner(kind, o)) {
            for (int t = 0; t < 3; t++) {
                Batch b = data.get(new int[] {t * 16, t * 16 + 1, t * 16 + 2, t * 16 + 3, t * 16 + 4, t * 16 + 5, t * 16 + 6, t * 16 + 7,
                        t * 16 + 8, t * 16 + 9, t * 16 + 10, t * 16 + 11, t * 16 + 12, t * 16 + 13, t * 16 + 14, t * 16 + 15});
                l.step(b.x(), b.y(), b.x());
            }
            state = l.state();
        }
        java.nio.file.Path file = java.nio.file.Files.createTempFile("proxima-model", ".safetensors");
        Map<String, Tensor> saved;
        String header;
        try {
            state.saveModel(model, file);
            saved = dev.proxima.nn.io.Safetensors.read(file);
            header = new String(java.nio.file.Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "3.weight", "3.bias"), List.copyOf(saved.keySet()));
        assertEquals(3, (int) saved.get("1.num_batches_tracked").item());
        assertTrue(header.contains("\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"), "the counter is PyTorch's int64");
        Module fresh = model(seed + 7);
        fresh.loadStateDict(saved);
        fresh.eval();
        Tensor x = data.get(range(48)).x();
        Tensor got = fresh.forward(x);
        model.eval();
        Tensor expected = model.applyWithBuffers(state.params(), state.buffers(), x).output();
        model.train(true);
        assertArrayEquals(expected.toFloatArray(), got.toFloatArray());
    }

    /** A checkpoint written before BatchNorm counted its batches as a buffer resumes with the count of steps. */
    @Example
    void aCheckpointWithoutBatchCountersResumesCountingTheSteps() {
        Dataset data = data(3, 32);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> scalars = new LinkedHashMap<>();
        Params trained;
        try (Learner l = learner(Kind.SGD, Objective.of(model(3), Losses::crossEntropy))) {
            for (int t = 0; t < 2; t++) l.step(data.get(range(16)).x(), data.get(range(16)).y(), null);
            l.state().save(tensors, scalars);
            trained = l.buffers();
        }
        assertTrue(tensors.remove("buffer.1.num_batches_tracked") != null, "the checkpoint holds the counter: " + tensors.keySet());
        scalars.put("buffer", "params:2"); // as the earlier checkpoints wrote it: running_mean, running_var
        try (Learner l = learner(Kind.SGD, Objective.of(model(4), Losses::crossEntropy))) {
            TrainState s = TrainState.load(tensors, scalars, l.state());
            assertEquals(2, (int) s.buffers().get("1.num_batches_tracked").item());
            assertSame(trained, s.buffers(), "buffers of the old checkpoint");
        }
    }
}
