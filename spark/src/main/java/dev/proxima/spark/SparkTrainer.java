package dev.proxima.spark;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.UpdateRule;
import dev.proxima.parallel.DataParallelTrainer;
import dev.proxima.parallel.RingCollective;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel training on Apache Spark. Each epoch is one barrier stage of
 * {@code workers} tasks (Spark gang-schedules them, as XGBoost4J-Spark and Horovod-on-Spark
 * do): the tasks bind a ring endpoint, exchange addresses once through a small
 * {@link Rendezvous} server on the driver ({@link BarrierTaskContext#allGather} polls with a
 * one-second sleep, which cost about a second an epoch), join a {@link RingCollective} authenticated by a fresh job
 * token, and train their partitions with a {@link DataParallelTrainer}; rank 0 returns the
 * parameters and the optimizer state. The driver keeps them as the checkpoint (and writes it
 * to {@code checkpoint} when set, as a safetensors file), so a failed stage is retried from
 * the last epoch instead of from the start, and a new run on the same file resumes after the
 * last finished epoch.
 *
 * <p>The data are coalesced to {@code workers} partitions first (a barrier stage needs all
 * its tasks running at once, so more partitions than slots would never start), in a normal
 * stage whose result is kept as a local checkpoint (a barrier stage may not coalesce). Each task
 * walks its partition in order, {@code batchPerWorker} rows a step; tasks with fewer rows
 * take empty steps (weight 0) so all take the same number.
 *
 * <p>Sockets bind to 127.0.0.1 by default, which serves {@code local[*]} and
 * {@code local-cluster}; on a cluster set {@code bindHost} to {@code 0.0.0.0} and the ring
 * advertises each task's executor host. The driver JVM on JDK 25 needs the flags in
 * {@code spark/pom.xml} ({@code spark.jvm.args}); see docs/PARALLEL.md.
 */
public final class SparkTrainer {
    private SparkTrainer() {}

    /** One training example: flat input and target rows. */
    public record Example(float[] x, float[] y) implements Serializable {}

    /** The loss of parameters on a batch {@code x [rows, in]}, {@code y [rows, out]} (a mean over rows). Shipped to executors. */
    @FunctionalInterface
    public interface Loss extends Serializable {
        Tensor apply(Params params, Tensor x, Tensor y);
    }

    /** Makes the update rule on each executor (rules themselves need not be serializable). */
    @FunctionalInterface
    public interface RuleFactory extends Serializable {
        UpdateRule<?> create();
    }

    /** A test hook called before every step: throw to simulate a task that dies. */
    @FunctionalInterface
    public interface Fault extends Serializable {
        void beforeStep(int epoch, int attempt, int rank, int step);
    }

    /**
     * @param workers        barrier tasks (slots) per stage
     * @param epochs         passes over the data, one barrier stage each
     * @param batchPerWorker rows per worker per step
     * @param maxRetries     how often the driver reruns a failed epoch from the last checkpoint
     * @param timeout        ring join and transfer timeout, and the longest any of the trainer's Spark jobs may go
     *                       without a task running or finishing (then it is cancelled, naming the executor logs)
     * @param bindHost       where ring endpoints listen ({@code 127.0.0.1}, or {@code 0.0.0.0} on a cluster)
     * @param checkpoint     safetensors file the driver writes after each epoch and resumes from, or null
     */
    public record Config(int workers, int epochs, int batchPerWorker, int maxRetries, Duration timeout, String bindHost, Path checkpoint) {
        public Config {
            if (workers < 1 || epochs < 0 || batchPerWorker < 1 || maxRetries < 0)
                throw new IllegalArgumentException("SparkTrainer.Config: workers, batchPerWorker >= 1 and epochs, maxRetries >= 0 (" + workers
                        + ", " + batchPerWorker + ", " + epochs + ", " + maxRetries + ")");
            Objects.requireNonNull(timeout);
            Objects.requireNonNull(bindHost);
        }

        public static Config of(int workers, int epochs, int batchPerWorker) {
            return new Config(workers, epochs, batchPerWorker, 2, Duration.ofMinutes(2), "127.0.0.1", null);
        }

        public Config withCheckpoint(Path p) { return new Config(workers, epochs, batchPerWorker, maxRetries, timeout, bindHost, p); }
    }

    /** What a stage hands back, and what the driver checkpoints. */
    record Checkpoint(int epochsDone, Snapshot params, ShippedState state, double loss) implements Serializable {}

    /** The partitions the workers train on: {@code data} coalesced (or spread) to {@code workers}. */
    public static <T> JavaRDD<T> shards(JavaRDD<T> data, int workers) {
        int n = data.getNumPartitions();
        return n > workers ? data.coalesce(workers) : n < workers ? data.repartition(workers) : data;
    }

    /**
     * {@link #shards} as an RDD of the trainer's own, which it may checkpoint, cache and
     * unpersist: when {@code data} has {@code workers} partitions already, {@code shards} is
     * {@code data} itself, and the caller's RDD must come out of a run as it went in.
     */
    private static JavaRDD<Example> ownShards(JavaRDD<Example> data, int workers) {
        return shards(data, workers).mapPartitions(rows -> rows, true);
    }

    /** Trains and returns the final parameters. */
    public static Params train(JavaRDD<Example> data, Params initial, Loss loss, RuleFactory rule, Config config) {
        return train(data, initial, loss, rule, config, (e, a, r, s) -> { });
    }

    /** As {@link #train(JavaRDD, Params, Loss, RuleFactory, Config)}, with a fault hook for tests. */
    public static Params train(JavaRDD<Example> data, Params initial, Loss loss, RuleFactory rule, Config config, Fault fault) {
        Checkpoint cp = config.checkpoint() != null && Files.exists(config.checkpoint())
                ? read(config.checkpoint(), initial, config) : new Checkpoint(0, Snapshot.of(initial), null, Double.NaN);
        JavaRDD<Example> shards = cp.epochsDone() < config.epochs() ? materialize(data, config) : null;
        for (int epoch = cp.epochsDone(); epoch < config.epochs(); epoch++) {
            Exception last = null;
            Checkpoint next = null;
            for (int attempt = 0; attempt <= config.maxRetries() && next == null; attempt++) {
                try {
                    if (attempt > 0) {
                        // A retry starts from what is on disk, so the file is what a resumed run would see.
                        if (config.checkpoint() != null && Files.exists(config.checkpoint())) cp = read(config.checkpoint(), initial, config);
                        // The shards were local checkpoints in the executors' block managers: an
                        // executor that died took its shard with it. Cut them again from the data
                        // (the same coalesce, so the same rows per rank).
                        shards.unpersist(false);
                        shards = materialize(data, config);
                    }
                    next = runEpoch(shards, cp, epoch, attempt, loss, rule, config, fault);
                } catch (Stuck e) {
                    throw e; // no task could run for the whole timeout: retrying would only wait again
                } catch (Exception e) { // SparkException is checked, though collect() does not say so
                    last = e; // a task or an executor died, or the ring broke: rerun this epoch from the checkpoint
                }
            }
            if (next == null)
                throw new IllegalStateException("SparkTrainer: epoch " + epoch + " failed " + (config.maxRetries() + 1) + " times; last: " + last.getMessage(), last);
            cp = next;
            if (config.checkpoint() != null) write(config.checkpoint(), cp, config);
        }
        if (shards != null) shards.unpersist(false);
        return cp.params().toParams();
    }

    /**
     * The shards, computed in a normal stage and kept as local checkpoints. A barrier stage may
     * not coalesce inside itself (SPARK-24820), so the lineage is cut here. The blocks live in
     * the executors' block managers; losing an executor loses its shard, and
     * {@link #train} cuts them again before it retries.
     */
    private static JavaRDD<Example> materialize(JavaRDD<Example> data, Config config) {
        JavaRDD<Example> shards = ownShards(data, config.workers());
        shards.rdd().localCheckpoint();
        await(shards.countAsync(), "the stage that cuts the data into " + config.workers() + " shards", config, JavaSparkContext.fromSparkContext(shards.context()));
        // An asynchronous job does not checkpoint (SparkContext.runJob does, after the job): this
        // count reads the blocks just stored and cuts the lineage.
        shards.count();
        return shards;
    }

    private static Checkpoint runEpoch(JavaRDD<Example> shards, Checkpoint from, int epoch, int attempt, Loss loss, RuleFactory rule,
                                       Config config, Fault fault) {
        byte[] token = RingCollective.newToken(); // fresh per attempt: a straggler of a failed attempt cannot join
        // The task captures plain values only (a Path, for one, is not serializable).
        int batch = config.batchPerWorker();
        Duration timeout = config.timeout();
        String bindHost = config.bindHost();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(shards.context());
        // The rendezvous listens where the ring does; on a cluster (a wildcard bind) the tasks
        // reach it at the address they reach the driver at.
        String driverHost = isWildcard(bindHost) ? sc.getConf().get("spark.driver.host", bindHost) : bindHost;
        try (Rendezvous rendezvous = allGatherRendezvous ? null : Rendezvous.open(bindHost, config.workers(), token)) {
            int port = rendezvous == null ? -1 : rendezvous.port();
            Function1<scala.collection.Iterator<Example>, scala.collection.Iterator<Checkpoint>> task = (Function1<scala.collection.Iterator<Example>, scala.collection.Iterator<Checkpoint>> & Serializable)
                    rows -> CollectionConverters.asScala(trainPartition(CollectionConverters.asJava(rows), from, epoch, attempt, token, driverHost, port,
                            loss, rule, batch, timeout, bindHost, fault));
            ClassTag<Checkpoint> tag = ClassTag$.MODULE$.apply(Checkpoint.class);
            List<Checkpoint> out = await(shards.rdd().barrier().mapPartitions(task, false, tag).toJavaRDD().collectAsync(),
                    "epoch " + epoch + " (attempt " + attempt + "), a barrier stage of " + config.workers() + " tasks", config, sc);
            if (out.size() != 1) throw new IllegalStateException("SparkTrainer: expected rank 0's result alone, got " + out.size());
            return out.get(0);
        }
    }

    /**
     * For measurements only ({@link SparkBench}): exchange the ring addresses through
     * {@link BarrierTaskContext#allGather}, as before the driver's {@link Rendezvous}.
     */
    static volatile boolean allGatherRendezvous = false;

    /** A job that could not run a single task for the whole timeout (see {@link #await}). */
    static final class Stuck extends IllegalStateException {
        Stuck(String message) { super(message); }
    }

    /**
     * Waits for a job, but never forever: Spark waits for resources without a limit (a barrier
     * stage that needs more slots than the cluster has, executors that die at start and are
     * relaunched again and again), so when no task of the job has run or finished for
     * {@code config.timeout}, the job is cancelled and {@link Stuck} names the executors'
     * logs. Running tasks are bounded by the ring's own timeout.
     */
    static <T> T await(org.apache.spark.api.java.JavaFutureAction<T> job, String what, Config config, JavaSparkContext sc) {
        long timeoutNanos = config.timeout().toNanos(), quietSince = System.nanoTime(), seen = -1;
        while (true) {
            try {
                return job.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // still running or waiting: look at its tasks below
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException r ? r : new IllegalStateException("SparkTrainer: " + what + " failed: " + c, c);
            } catch (InterruptedException e) {
                job.cancel(true);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("SparkTrainer: interrupted while waiting for " + what, e);
            }
            long active = 0, progress = 0;
            for (Integer id : job.jobIds()) {
                org.apache.spark.SparkJobInfo info = sc.statusTracker().getJobInfo(id);
                if (info == null) continue;
                for (int stage : info.stageIds()) {
                    org.apache.spark.SparkStageInfo si = sc.statusTracker().getStageInfo(stage);
                    if (si == null) continue;
                    active += si.numActiveTasks();
                    progress += si.numCompletedTasks() + si.numFailedTasks() + 1000L * si.currentAttemptId();
                }
            }
            long now = System.nanoTime();
            if (active > 0 || progress != seen) {
                quietSince = now;
                seen = progress;
            } else if (now - quietSince > timeoutNanos) {
                job.cancel(true);
                throw new Stuck("SparkTrainer: no task of " + what + " ran for " + config.timeout().toSeconds() + " s (the timeout); it needs "
                        + config.workers() + " task slots at once and the cluster has " + (sc.statusTracker().getExecutorInfos().length - 1)
                        + " executor(s) registered. " + executorLogs(sc.sc().applicationId()));
            }
        }
    }

    /**
     * Where to read why executors did not come up: on a standalone worker (and
     * {@code local-cluster}) each executor's stderr is {@code <work dir>/<app id>/<executor id>/stderr},
     * the work dir {@code $SPARK_WORKER_DIR} or {@code $SPARK_HOME/work}. The files found on
     * this machine are named, with the last line of the newest that mentions an error.
     */
    static String executorLogs(String appId) {
        List<Path> dirs = new ArrayList<>();
        String workerDir = System.getenv("SPARK_WORKER_DIR"), home = System.getenv("SPARK_HOME");
        if (workerDir != null) dirs.add(Path.of(workerDir, appId));
        if (home != null) dirs.add(Path.of(home, "work", appId));
        List<Path> logs = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) continue;
            try (var s = Files.list(d)) {
                s.map(e -> e.resolve("stderr")).filter(Files::isRegularFile).forEach(logs::add);
            } catch (IOException e) {
                // unreadable: fall back to the generic hint
            }
        }
        if (logs.isEmpty())
            return "Executors that fail at start say why in their stderr: on each worker, $SPARK_WORKER_DIR (default $SPARK_HOME/work)/"
                    + appId + "/<executor id>/stderr, or the Executors tab of the Spark UI (YARN: yarn logs -applicationId).";
        logs.sort(java.util.Comparator.comparingLong((Path f) -> f.toFile().lastModified()).reversed());
        // The newest log that says what went wrong (a relaunched executor's may still be empty).
        Path named = logs.get(0);
        String reason = "";
        for (Path f : logs) {
            try {
                List<String> lines = Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8);
                for (int i = lines.size() - 1; i >= 0 && reason.isEmpty(); i--)
                    if (lines.get(i).matches("(?i).*(exception|error)\\b.*")) reason = lines.get(i).strip();
            } catch (IOException | java.io.UncheckedIOException e) {
                continue; // unreadable: try the next
            }
            if (!reason.isEmpty()) {
                named = f;
                break;
            }
        }
        return "Executor log: " + named + (reason.isEmpty() ? "" : " (last error: " + reason + ")")
                + (logs.size() > 1 ? "; " + (logs.size() - 1) + " more under " + named.getParent().getParent() : "") + ".";
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Iterator<Checkpoint> trainPartition(Iterator<Example> rows, Checkpoint from, int epoch, int attempt, byte[] token,
                                                       String driverHost, int rendezvousPort, Loss loss, RuleFactory ruleFactory,
                                                       int batchPerWorker, Duration timeout, String bindHost, Fault fault) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId(), size = ctx.getTaskInfos().length;
        List<Example> local = new ArrayList<>();
        rows.forEachRemaining(local::add);
        RingCollective.Endpoint ep = RingCollective.bind(new InetSocketAddress(bindHost, 0));
        String advertised = isWildcard(bindHost) ? ctx.getTaskInfos()[rank].address().replaceFirst(":.*$", "") : bindHost;
        String mine = advertised + " " + ep.address().getPort() + " " + local.size();
        String[] all = rendezvousPort < 0 ? ctx.allGather(mine) : Rendezvous.exchange(driverHost, rendezvousPort, token, rank, mine, timeout);
        List<InetSocketAddress> ring = new ArrayList<>();
        int maxRows = 0;
        for (String s : all) {
            String[] f = s.split(" ");
            ring.add(new InetSocketAddress(f[0], Integer.parseInt(f[1])));
            maxRows = Math.max(maxRows, Integer.parseInt(f[2]));
        }
        try (RingCollective c = ep.join(rank, ring, token, timeout)) {
            UpdateRule rule = ruleFactory.create();
            DataParallelTrainer trainer = new DataParallelTrainer(c, rule, from.params().toParams(), (from.state() == null ? null : from.state().value()));
            int b = batchPerWorker, steps = (maxRows + b - 1) / b;
            double lossSum = 0;
            for (int s = 0; s < steps; s++) {
                fault.beforeStep(epoch, attempt, rank, s);
                int lo = Math.min(s * b, local.size()), hi = Math.min(lo + b, local.size());
                if (hi > lo) {
                    Tensor[] xy = batch(local.subList(lo, hi));
                    lossSum += trainer.step((DataParallelTrainer.XyLoss) loss::apply, xy[0], xy[1]);
                } else {
                    lossSum += trainer.step((p, unused) -> { throw new AssertionError(); }, null, 0);
                }
            }
            if (rank != 0) return java.util.Collections.emptyIterator();
            return List.of(new Checkpoint(epoch + 1, Snapshot.of(trainer.params()), ShippedState.of(trainer.state()),
                    steps == 0 ? Double.NaN : lossSum / steps)).iterator();
        }
    }

    /** One partition's part of a driver-mode step: its mean gradient (flat, in parameter order; empty without rows), rows and mean loss. */
    record Share(float[] gradient, int rows, double loss) implements Serializable {}

    /**
     * Driver-side training, for clusters whose executors cannot reach each other: every step
     * broadcasts the parameters, each partition returns the mean gradient of its rows as one
     * float32 array with its row count, and the driver sums them in float64 in partition order,
     * weighted by rows, applies the rule and keeps its state. No ring, no barrier; one Spark
     * job per step, so it suits few, large steps. The sum's order is fixed, so the result
     * repeats its bits for any number of partitions. Its exchange costs what a broadcast and a
     * {@code treeAggregate} of the same size cost (see docs/PARALLEL.md): the gradients travel
     * as float32, no aggregate's zero value is shipped, and every job's wait is bounded as in
     * {@link #train}.
     */
    public static <S> Params trainOnDriver(JavaRDD<Example> data, Params initial, Loss loss, UpdateRule<S> rule, Config config) {
        JavaRDD<Example> shards = ownShards(data, config.workers()).cache();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(shards.context());
        List<Integer> sizes = await(shards.mapPartitions(rows -> {
            int n = 0;
            while (rows.hasNext()) { rows.next(); n++; }
            return List.of(n).iterator();
        }).collectAsync(), "the stage that cuts the data into " + config.workers() + " shards", config, sc);
        int maxRows = sizes.stream().mapToInt(Integer::intValue).max().orElse(0), b = config.batchPerWorker(), steps = (maxRows + b - 1) / b;
        Params params = initial.detach();
        S state = rule.init(params);
        int numel = (int) params.numel();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            for (int s = 0; s < steps; s++) {
                Broadcast<Snapshot> current = sc.broadcast(Snapshot.of(params));
                int step = s;
                List<Share> shares;
                try {
                    shares = await(shards.mapPartitions(rows -> List.of(share(rows, current.value(), loss, step, b)).iterator()).collectAsync(),
                            "driver-mode step " + step + " of epoch " + epoch, config, sc);
                } finally {
                    current.destroy();
                }
                double[] sum = new double[numel];
                long rows = 0;
                for (Share sh : shares) {
                    if (sh.rows() == 0) continue;
                    float[] g = sh.gradient();
                    for (int i = 0; i < numel; i++) sum[i] += (double) g[i] * sh.rows();
                    rows += sh.rows();
                }
                List<Tensor> grads = new ArrayList<>();
                int at = 0;
                for (Tensor t : params.values()) {
                    float[] g = new float[t.size()];
                    for (int i = 0; i < g.length; i++) g[i] = (float) (sum[at++] / rows);
                    grads.add(Tensor.of(g, t.shape()));
                }
                UpdateRule.Step<S> u = rule.step(params.withValues(grads), state, params);
                params = u.params();
                state = u.state();
            }
        }
        shards.unpersist(false);
        return params;
    }

    /** On an executor: the mean gradient of rows {@code [step·b, (step+1)·b)} of this partition at {@code params}. */
    static Share share(Iterator<Example> rows, Snapshot params, Loss loss, int step, int b) {
        List<Example> local = new ArrayList<>();
        rows.forEachRemaining(local::add);
        int lo = Math.min(step * b, local.size()), hi = Math.min(lo + b, local.size());
        if (hi <= lo) return new Share(new float[0], 0, 0);
        Tensor[] xy = batch(local.subList(lo, hi));
        Params theta = params.toParams();
        Autograd.ValueAndGrad vg = Autograd.valueAndGrad(p -> loss.apply(p, xy[0], xy[1]), theta);
        float[] out = new float[(int) theta.numel()];
        int at = 0;
        for (Tensor g : vg.grads().values()) {
            float[] v = g.toFloatArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return new Share(out, hi - lo, vg.loss());
    }

    /** Rows stacked into {@code x [rows, in]} and {@code y [rows, out]}. */
    static Tensor[] batch(List<Example> rows) {
        int n = rows.size(), in = rows.get(0).x().length, out = rows.get(0).y().length;
        float[] x = new float[n * in], y = new float[n * out];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i).x(), 0, x, i * in, in);
            System.arraycopy(rows.get(i).y(), 0, y, i * out, out);
        }
        return new Tensor[] {Tensor.of(x, n, in), Tensor.of(y, n, out)};
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("*");
    }

    /** Marks a driver checkpoint in the file's metadata, so another safetensors file is refused by name. */
    private static final String FORMAT = "proxima-spark-checkpoint/1";

    /**
     * The driver checkpoint as one safetensors file (written atomically by nn's
     * {@link dev.proxima.nn.io.Checkpoint}): the parameters as tensors under their own names,
     * so the file loads as a state dict; the optimizer state flattened by nn's
     * {@link dev.proxima.nn.io.StateCodec} under {@code state.}, its scalars in the string
     * metadata beside {@code epochsDone}, {@code loss} and the configuration that fixes the
     * schedule.
     */
    static void write(Path file, Checkpoint cp, Config config) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("epochsDone", Integer.toString(cp.epochsDone()));
        meta.put("loss", Double.toString(cp.loss()));
        meta.put("workers", Integer.toString(config.workers()));
        meta.put("batchPerWorker", Integer.toString(config.batchPerWorker()));
        meta.put("epochs", Integer.toString(config.epochs()));
        Params params = cp.params().toParams();
        meta.put("params", String.join("\n", params.names()));
        for (var e : params) tensors.put(e.getKey(), e.getValue());
        Map<String, Tensor> stateTensors = new LinkedHashMap<>();
        Map<String, String> stateScalars = new LinkedHashMap<>();
        dev.proxima.nn.io.StateCodec.encode(STATE, cp.state() == null ? null : cp.state().value(), stateTensors, stateScalars);
        for (var e : stateTensors.entrySet())
            if (tensors.put(e.getKey(), e.getValue()) != null)
                throw new IllegalArgumentException("SparkTrainer: parameter '" + e.getKey() + "' collides with the optimizer state's entry in checkpoint " + file);
        for (var e : stateScalars.entrySet())
            if (meta.put(e.getKey(), e.getValue()) != null)
                throw new IllegalArgumentException("SparkTrainer: metadata key '" + e.getKey() + "' is taken, checkpoint " + file);
        try {
            dev.proxima.nn.io.Checkpoint.save(file, tensors, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer: cannot write checkpoint " + file, e);
        }
    }

    private static final String STATE = "state";

    /**
     * Reads a checkpoint written by {@link #write}; refuses one from another file format, another
     * schedule ({@code workers}, {@code batchPerWorker}) or other parameters ({@code initial}'s
     * names and shapes), naming the file and the difference.
     */
    static Checkpoint read(Path file, Params initial, Config config) {
        dev.proxima.nn.io.Checkpoint c;
        try {
            c = dev.proxima.nn.io.Checkpoint.load(file);
        } catch (IOException e) {
            throw new IllegalStateException("SparkTrainer: cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format")))
            throw new IllegalStateException("SparkTrainer: " + file + " is not a SparkTrainer checkpoint (format " + meta.get("format") + ", expected " + FORMAT + ")");
        for (String[] k : new String[][] {{"workers", Integer.toString(config.workers())}, {"batchPerWorker", Integer.toString(config.batchPerWorker())}})
            if (!k[1].equals(meta.get(k[0])))
                throw new IllegalStateException("SparkTrainer: checkpoint " + file + " was written with " + k[0] + "=" + meta.get(k[0])
                        + ", this run has " + k[0] + "=" + k[1] + " (another schedule; remove the file to start over)");
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (String name : initial.names()) {
            Tensor t = c.tensors().get(name);
            if (t == null) throw new IllegalStateException("SparkTrainer: checkpoint " + file + " has no parameter '" + name + "'");
            if (!java.util.Arrays.equals(t.shape(), initial.get(name).shape()))
                throw new IllegalStateException("SparkTrainer: checkpoint " + file + ": '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                        + ", the model has " + java.util.Arrays.toString(initial.get(name).shape()));
            params.put(name, t);
        }
        if (!String.join("\n", initial.names()).equals(meta.get("params")))
            throw new IllegalStateException("SparkTrainer: checkpoint " + file + " holds parameters " + String.valueOf(meta.get("params")).replace('\n', ',')
                    + ", the model has " + String.join(",", initial.names()));
        Object state;
        try {
            state = dev.proxima.nn.io.StateCodec.decode(STATE, Object.class, c.tensors(), meta, initial.names());
        } catch (RuntimeException e) {
            throw new IllegalStateException("SparkTrainer: checkpoint " + file + ": " + e.getMessage(), e);
        }
        return new Checkpoint(Integer.parseInt(meta.get("epochsDone")), Snapshot.of(Params.of(params)), ShippedState.of(state),
                Double.parseDouble(meta.get("loss")));
    }
}
