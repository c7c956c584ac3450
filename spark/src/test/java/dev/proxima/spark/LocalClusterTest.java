package dev.proxima.spark;

import static dev.proxima.spark.SparkTrainerTest.BATCH;
import static dev.proxima.spark.SparkTrainerTest.EPOCHS;
import static dev.proxima.spark.SparkTrainerTest.WORKERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SparkTrainer on {@code local-cluster[2,1,1024]}: a standalone master and two workers in this
 * JVM, each worker running one executor in a JVM of its own, as on a real cluster (less the
 * network). Every wait is bounded: the trainer's timeout, the ring's, and the test's own.
 */
class LocalClusterTest {
    private static JavaSparkContext sc;

    /**
     * The configuration a local-cluster needs: executors get this JVM's test class path (the
     * workers' SPARK_HOME has an empty jars/) and the JVM options Spark and the Vector API
     * need on JDK 25 (surefire passes them; see spark/pom.xml).
     */
    static SparkConf conf(String app) throws IOException {
        String home = System.getenv("SPARK_HOME");
        if (home == null) throw new IllegalStateException("LocalClusterTest: SPARK_HOME is not set (spark/pom.xml's surefire configuration sets it)");
        Files.createDirectories(Path.of(home, "jars"));
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new SparkConf().setMaster("local-cluster[" + WORKERS + ",1,1024]").setAppName(app)
                .set("spark.ui.enabled", "false").set("spark.serializer.extraDebugInfo", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.memory", "512m")
                .set("spark.executor.extraClassPath", classPath)
                .set("spark.executor.extraJavaOptions", System.getProperty("proxima.spark.executorJavaOptions", "") + " -XX:+UseSerialGC");
    }

    @BeforeAll
    static void start() throws IOException {
        sc = new JavaSparkContext(conf("proxima-local-cluster-test"));
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    static Params train(SparkTrainer.Config config, SparkTrainer.Fault fault) {
        return SparkTrainer.train(SparkTrainerTest.data(sc), SparkTrainerTest.init(), SparkTrainerTest::loss, SparkTrainerTest::rule, config, fault);
    }

    /** Largest |a - b| / (1 + |b|) over all parameters. */
    static double maxRelDiff(Params a, Params b) {
        double worst = 0;
        for (String name : b.names()) {
            float[] x = a.get(name).toFloatArray(), w = b.get(name).toFloatArray();
            for (int i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(x[i] - w[i]) / (1 + Math.abs(w[i])));
        }
        return worst;
    }

    /** Appends one line to a file that executors and the driver share (this one machine). */
    static void log(String file, String line) {
        try {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void tasksRunInExecutorJvmsAndTrainingEqualsSingleProcess(@TempDir Path dir) throws IOException {
        String steps = dir.resolve("steps.log").toString();
        Params ring = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH),
                (e, attempt, rank, step) -> log(steps, rank + " " + ProcessHandle.current().pid()));
        long driver = ProcessHandle.current().pid();
        Set<String> rankPids = new HashSet<>(), pids = new HashSet<>();
        for (String line : Files.readAllLines(Path.of(steps))) {
            rankPids.add(line);
            pids.add(line.split(" ")[1]);
        }
        assertFalse(pids.contains(Long.toString(driver)), "a training task ran in the driver's JVM " + driver + ": " + rankPids);
        assertEquals(2, pids.size(), "the two ranks ran in two executor JVMs: " + rankPids);
        assertEquals(2, rankPids.size(), "each rank kept one JVM for the whole run: " + rankPids);

        Params want = SparkTrainerTest.single(sc, SparkTrainerTest.rule());
        Params driverMode = SparkTrainer.trainOnDriver(SparkTrainerTest.data(sc), SparkTrainerTest.init(), SparkTrainerTest::loss,
                SparkTrainerTest.rule(), SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH));
        double ringDiff = maxRelDiff(ring, want), driverDiff = maxRelDiff(driverMode, want);
        System.out.printf("local-cluster: ring vs single process %.2e, driver vs single process %.2e (max |a-b|/(1+|b|))%n", ringDiff, driverDiff);
        assertTrue(ringDiff <= 1e-6, "ring mode vs single process: " + ringDiff);
        assertTrue(driverDiff <= 1e-6, "driver mode vs single process: " + driverDiff);
        // Separate JVMs, same arithmetic: the ring repeats its bits.
        SparkTrainerTest.assertBitIdentical(ring, train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, a, r, s) -> { }));
    }

    @Test
    void anExecutorKilledMidEpochIsReplacedAndTheEpochResumesFromTheCheckpoint(@TempDir Path dir) throws Exception {
        Params clean = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH), (e, a, r, s) -> { });
        String steps = dir.resolve("steps.log").toString(), pidFile = dir.resolve("victim.pid").toString();
        // Rank 1, in the middle of epoch 1, writes its executor's PID and waits to be killed
        // (once: the file exists afterwards); this thread kills that JVM by PID.
        CompletableFuture<Long> killer = CompletableFuture.supplyAsync(() -> {
            Path f = Path.of(pidFile);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            try {
                while (!Files.exists(f) || Files.size(f) == 0) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("no executor wrote " + f + " within 3 minutes");
                    Thread.sleep(50);
                }
                Thread.sleep(50);
                long pid = Long.parseLong(Files.readString(f).strip());
                ProcessHandle victim = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
                victim.destroyForcibly();
                victim.onExit().get(1, TimeUnit.MINUTES);
                return pid;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path cp = dir.resolve("run.safetensors");
        Params retried = train(SparkTrainer.Config.of(WORKERS, EPOCHS, BATCH).withCheckpoint(cp), (e, attempt, rank, step) -> {
            long pid = ProcessHandle.current().pid();
            log(steps, e + " " + attempt + " " + rank + " " + step + " " + pid);
            if (e == 1 && rank == 1 && step == 2) {
                try {
                    Files.writeString(Path.of(pidFile + ".tmp"), Long.toString(pid));
                    Files.move(Path.of(pidFile + ".tmp"), Path.of(pidFile)); // fails once the victim was chosen
                } catch (IOException alreadyKilledOnce) {
                    return;
                }
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("executor " + pid + " was not killed within 2 minutes");
            }
        });
        long victim = killer.get(1, TimeUnit.MINUTES);
        assertNotEquals(ProcessHandle.current().pid(), victim, "the killed JVM is not the driver");
        assertFalse(ProcessHandle.of(victim).map(ProcessHandle::isAlive).orElse(false), "executor " + victim + " is dead");
        // Epoch 0 ran once (the retry started from its checkpoint); epoch 1 ran again after the
        // kill, its rank 1 in another JVM; the result is the bits of the run without the kill.
        List<String[]> lines = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of(steps))) lines.add(l.split(" "));
        long epoch0 = lines.stream().filter(f -> f[0].equals("0")).count();
        assertEquals(2 * 6, epoch0, "epoch 0: 2 ranks x 6 steps, never rerun");
        assertTrue(lines.stream().anyMatch(f -> f[0].equals("1") && !f[1].equals("0") && f[2].equals("1") && f[3].equals("5")
                && !f[4].equals(Long.toString(victim))), "epoch 1 was retried to its end in a new executor: " + Files.readString(Path.of(steps)));
        SparkTrainerTest.assertBitIdentical(clean, retried);
        assertEquals(Integer.toString(EPOCHS), dev.proxima.nn.io.Checkpoint.load(cp).metadata().get("epochsDone"));
    }

    /**
     * Executors that cannot start (here a class path without Spark; on JDK 25 with Spark 4.1's
     * Hadoop it was getSubject; a bad JVM option would not do, Spark adds
     * -XX:+IgnoreUnrecognizedVMOptions) are relaunched by the worker forever while the job waits for
     * them. The trainer gives up after its timeout and names the executor log.
     */
    @Test
    void aClusterWhoseExecutorsCannotStartFailsInBoundedTimeNamingTheExecutorLog() throws Exception {
        sc.stop();
        sc = null;
        try (JavaSparkContext broken = new JavaSparkContext(conf("proxima-stuck-cluster-test")
                .set("spark.executor.extraClassPath", "/proxima-test/no-such-jar.jar"))) {
            broken.setLogLevel("ERROR");
            long t0 = System.nanoTime();
            var e = assertThrows(SparkTrainer.Stuck.class, () -> SparkTrainer.train(SparkTrainerTest.data(broken), SparkTrainerTest.init(),
                    SparkTrainerTest::loss, SparkTrainerTest::rule, new SparkTrainer.Config(WORKERS, EPOCHS, BATCH, 2, Duration.ofSeconds(15), "127.0.0.1", null)));
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("stuck cluster failed after %.1f s: %s%n", seconds, e.getMessage());
            String appDir = Path.of(System.getenv("SPARK_HOME"), "work", broken.sc().applicationId()).toString();
            assertTrue(e.getMessage().contains(appDir) && e.getMessage().contains("stderr"), e.getMessage());
            assertTrue(e.getMessage().contains("CoarseGrainedExecutorBackend"), "the executor's own error is quoted: " + e.getMessage());
        } finally {
            start();
        }
    }
}
