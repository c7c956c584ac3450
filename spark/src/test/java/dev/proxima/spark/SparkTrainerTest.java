package dev.proxima.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.tensor.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SparkTrainer in local[2]: equal to single-process training, repeatable, and resumable. */
class SparkTrainerTest {
    static final int IN = 4, HIDDEN = 6, OUT = 2, ROWS = 44, WORKERS = 2, BATCH = 4, EPOCHS = 2;
    private static JavaSparkContext sc;
    /** Simulated deaths; local mode runs the tasks in this JVM, so they can count here. */
    private static final java.util.concurrent.atomic.AtomicInteger DEATHS = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[" + WORKERS + "]").setAppName("proxima-spark-test")
                .set("spark.ui.enabled", "false")
                // Spark's serialization debugger needs sun.security.action, gone in JDK 25; off, a
                // closure that does not serialize is reported as itself.
                .set("spark.serializer.extraDebugInfo", "false").set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1"));
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    static Tensor loss(Params p, Tensor x, Tensor y) {
        return x.matmul(p.get("w1")).add(p.get("b1")).tanh().matmul(p.get("w2")).add(p.get("b2")).sub(y).square().mean();
    }

    static Params init() {
        Rng rng = new Rng(3);
        return Params.of("w1", Tensor.randn(rng, IN, HIDDEN).mul(0.5), "b1", Tensor.zeros(HIDDEN),
                "w2", Tensor.randn(rng, HIDDEN, OUT).mul(0.5), "b2", Tensor.zeros(OUT));
    }

    static UpdateRule<?> rule() {
        return Adam.builder().lr(0.05).build();
    }

    /** 6 partitions for 2 slots: the trainer must coalesce them or the barrier stage never starts. */
    static JavaRDD<SparkTrainer.Example> data() {
        return data(sc);
    }

    static JavaRDD<SparkTrainer.Example> data(JavaSparkContext sc) {
        Random rnd = new Random(5);
        List<SparkTrainer.Example> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] x = new float[IN], y = new float[OUT];
            for (int j = 0; j < IN; j++) x[j] = (float) rnd.nextGaussian();
            for (int j = 0; j < OUT; j++) y[j] = (float) rnd.nextGaussian();
            rows.add(new SparkTrainer.Example(x, y));
        }
        return sc.parallelize(rows, 6);
    }

    static Params train(SparkTrainer.Config config, SparkTrainer.Fault fault) {
        return SparkTrainer.train(data(), init(), SparkTrainerTest::loss, SparkTrainerTest::rule, config, fault);
    }

    /** The same schedule in one process: step s takes rows [s*b, (s+1)*b) of every worker's shard, as one batch. */
    static <S> Params single(UpdateRule<S> rule) {
        return single(sc, rule);
    }

    static <S> Params single(JavaSparkContext sc, UpdateRule<S> rule) {
        List<List<SparkTrainer.Example>> shards = SparkTrainer.shards(data(sc), WORKERS).glom().collect();
        int max = shards.stream().mapToInt(List::size).max().orElse(0), steps = (max + BATCH - 1) / BATCH;
        Params p = init();
        S s = rule.init(p);
        for (int e = 0; e < EPOCHS; e++)
            for (int k = 0; k < steps; k++) {
                List<SparkTrainer.Example> rows = new ArrayList<>();
                for (List<SparkTrainer.Example> shard : shards) rows.addAll(shard.subList(Math.min(k * BATCH, shard.size()), Math.min((k + 1) * BATCH, shard.size())));
                Tensor[] xy = SparkTrainer.batch(rows);
                Params leaves = p.requiresGrad();
                Params g = Autograd.grad(loss(leaves, xy[0], xy[1]), leaves);
                try (var off = Autograd.noGrad()) {
                    Update<S> u = rule.update(g, s, p);
                    p = u.applyTo(p).detach();
                    s = u.state();
                }
            }
        return p;
    }

    @Test
    void equalsSingleProcessTrainingAndRepeatsItsBits() {
        List<List<SparkTrainer.Example>> shards = SparkTrainer.shards(data(), WORKERS).glom().collect();
        assertEquals(WORKERS, shards.size());
        Params a = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, t, r, s) -> { });
        Params b = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, t, r, s) -> { });
        Params want = single(rule());
        for (String name : want.names()) {
            float[] w = want.get(name).toFloatArray(), x = a.get(name).toFloatArray(), y = b.get(name).toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], x[i], 1e-4 * (1 + Math.abs(w[i])), name + "[" + i + "]");
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "] differs between runs");
            }
        }
    }

    /** An RDD of exactly {@code workers} partitions is used as it is; it must survive the run untouched. */
    @Test
    void theCallersRddComesOutOfARunAsItWentIn() {
        JavaRDD<SparkTrainer.Example> two = data().coalesce(WORKERS);
        Params a = SparkTrainer.train(two, init(), SparkTrainerTest::loss, SparkTrainerTest::rule, SparkTrainer.Config.of(WORKERS, 1, BATCH));
        Params b = SparkTrainer.train(two, init(), SparkTrainerTest::loss, SparkTrainerTest::rule, SparkTrainer.Config.of(WORKERS, 1, BATCH));
        assertBitIdentical(a, b);
        Params c = SparkTrainer.trainOnDriver(two, init(), SparkTrainerTest::loss, rule(), SparkTrainer.Config.of(WORKERS, 1, BATCH));
        Params d = SparkTrainer.trainOnDriver(two, init(), SparkTrainerTest::loss, rule(), SparkTrainer.Config.of(WORKERS, 1, BATCH));
        assertBitIdentical(c, d);
        assertEquals(ROWS, two.count());
        assertEquals(org.apache.spark.storage.StorageLevel.NONE(), two.getStorageLevel());
    }

    @Test
    void driverModeEqualsSingleProcessTrainingAndRepeatsItsBits() {
        Params want = single(rule());
        Params a = SparkTrainer.trainOnDriver(data(), init(), SparkTrainerTest::loss, rule(), SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH));
        Params b = SparkTrainer.trainOnDriver(data(), init(), SparkTrainerTest::loss, rule(), SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH));
        for (String name : want.names()) {
            float[] w = want.get(name).toFloatArray(), x = a.get(name).toFloatArray(), y = b.get(name).toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], x[i], 1e-4 * (1 + Math.abs(w[i])), name + "[" + i + "]");
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "] differs between runs");
            }
        }
    }

    @Test
    void aFailedEpochResumesFromTheLastCheckpoint(@TempDir Path dir) throws Exception {
        Params clean = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, t, r, s) -> { });
        // Rank 1 dies in the middle of epoch 1's first attempt; the retry starts from epoch 0's result.
        Path cp = dir.resolve("run.ckpt");
        Params retried = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH).withCheckpoint(cp), (e, attempt, rank, step) -> {
            if (e == 1 && attempt == 0 && rank == 1 && step == 2) {
                DEATHS.incrementAndGet();
                throw new IllegalStateException("simulated task death");
            }
        });
        assertEquals(1, DEATHS.get(), "the task died once and the epoch was retried");
        assertTrue(Files.exists(cp));
        assertBitIdentical(clean, retried);
        // The file is safetensors: the parameters under their own names, Adam's moments under
        // "state.", the epoch count in the metadata.
        dev.proxima.nn.io.Checkpoint file = dev.proxima.nn.io.Checkpoint.load(cp);
        assertEquals(Integer.toString(EPOCHS), file.metadata().get("epochsDone"));
        java.util.Map<String, Tensor> stored = new java.util.LinkedHashMap<>();
        for (String name : clean.names()) stored.put(name, file.tensors().get(name));
        assertBitIdentical(clean, Params.of(stored));
        long stateTensors = file.tensors().keySet().stream().filter(k -> k.startsWith("state.")).count();
        assertTrue(stateTensors >= 2L * clean.size(), "Adam's two moments per parameter are stored, got " + file.tensors().keySet());
        // A new run with the same checkpoint finds both epochs done and runs none again.
        Params resumed = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH).withCheckpoint(cp), (e, attempt, rank, step) -> {
            throw new AssertionError("epoch " + e + " ran again");
        });
        for (String name : clean.names())
            assertEquals(java.util.Arrays.toString(clean.get(name).toFloatArray()), java.util.Arrays.toString(resumed.get(name).toFloatArray()));
    }

    @Test
    void aNewRunResumesTheCheckpointOfAnInterruptedDriver(@TempDir Path dir) throws Exception {
        Params clean = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, t, r, s) -> { });
        // The first driver finishes epoch 0, then every attempt at epoch 1 dies: it gives up,
        // as a driver killed mid-run would, leaving epoch 0's checkpoint on disk.
        Path cp = dir.resolve("run.safetensors");
        SparkTrainer.Config config = new SparkTrainer.Config(WORKERS, EPOCHS, BATCH, 0, java.time.Duration.ofMinutes(2), "127.0.0.1", cp);
        assertThrows(IllegalStateException.class, () -> train(config, (e, attempt, rank, step) -> {
            if (e == 1 && rank == 0 && step == 1) throw new IllegalStateException("simulated driver loss");
        }));
        assertEquals("1", dev.proxima.nn.io.Checkpoint.load(cp).metadata().get("epochsDone"));
        // A second driver with the same path runs epoch 1 only and lands on the same bits.
        Params resumed = train(config, (e, attempt, rank, step) -> {
            if (e == 0) throw new AssertionError("epoch 0 ran again: the run restarted instead of resuming");
        });
        assertBitIdentical(clean, resumed);
        // A checkpoint of another schedule, or a safetensors file of something else, is refused by name.
        var other = assertThrows(IllegalStateException.class, () -> SparkTrainer.read(cp, init(), SparkTrainer.Config.of(WORKERS + 1, EPOCHS, BATCH)));
        assertTrue(other.getMessage().contains("workers=2") && other.getMessage().contains(cp.toString()), other.getMessage());
        Path foreign = dir.resolve("model.safetensors");
        dev.proxima.nn.io.Checkpoint.save(foreign, init(), java.util.Map.of());
        var notOurs = assertThrows(IllegalStateException.class, () -> SparkTrainer.read(foreign, init(), config));
        assertTrue(notOurs.getMessage().contains("not a SparkTrainer checkpoint"), notOurs.getMessage());
    }

    static void assertBitIdentical(Params want, Params got) {
        assertEquals(want.names(), got.names());
        for (String name : want.names()) {
            float[] x = want.get(name).toFloatArray(), y = got.get(name).toFloatArray();
            assertEquals(x.length, y.length, name);
            for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "]");
        }
    }
}
