package dev.proxima.spark;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.Sgd;
import dev.proxima.parallel.DataParallelTrainer;
import dev.proxima.parallel.RingCollective;
import dev.proxima.tensor.Rng;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * What Spark adds to data-parallel training, on {@code local-cluster[2,1,1024]} (two executor
 * JVMs; or the master given as the first argument), every pair of alternatives measured
 * interleaved (A, B, A, B, ...; medians) so that background load hits both alike:
 * <ol>
 *   <li>the per-epoch overhead of {@link SparkTrainer#train} (a barrier stage, the ring's
 *       rendezvous and join, the checkpoint shipped back), with the driver's
 *       {@link Rendezvous} and with {@code allGather};
 *   <li>the exchange of a driver-mode step ({@link SparkTrainer#trainOnDriver}, a model of
 *       {@code n} parameters and a trivial loss) beside a plain broadcast of {@code n} floats
 *       plus a {@code treeAggregate} of {@code n} floats per partition, for n = 1M and the CNN's;
 *   <li>the CNN of {@code bench train} ({@code Models.cnn(0)}, global batch 128) over the ring
 *       inside a barrier stage (step and all-reduce timed in the executors), and its driver-mode
 *       step.
 * </ol>
 * Prints {@code RESULT bench=dataparallel mode=spark-ring|driver ... model=cnn} lines. Run with
 * {@code spark/bench.sh}; {@code ./proxima bench dataparallel} runs it when the spark profile is built.
 */
public final class SparkBench {
    private SparkBench() {}

    private static final int CNN_BATCH = 128;

    public static void main(String[] args) throws Exception {
        String master = args.length > 0 ? args[0] : "local-cluster[2,1,1024]";
        int repeat = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        SparkConf conf = new SparkConf().setMaster(master).setAppName("proxima-spark-bench").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.serializer.extraDebugInfo", "false").set("spark.driver.maxResultSize", "2g");
        if (master.startsWith("local-cluster")) {
            conf.set("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            conf.set("spark.executor.memory", "1g");
            if (System.getProperty("proxima.spark.executorJavaOptions") != null)
                conf.set("spark.executor.extraJavaOptions", System.getProperty("proxima.spark.executorJavaOptions"));
        }
        List<String> results = new ArrayList<>();
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            int workers = 2;
            sc.parallelize(List.of(0, 1), workers).count(); // executors up
            System.out.printf(Locale.ROOT, "Spark %s, master %s, %d workers; medians of %d, interleaved%n", sc.version(), master, workers, repeat);

            // 1. per-epoch overhead: a 2-parameter model, one row per worker, so an epoch is one tiny step.
            double[][] epoch = new double[2][repeat];
            for (int i = -1; i < repeat; i++)
                for (int mode = 0; mode < 2; mode++) {
                    SparkTrainer.allGatherRendezvous = mode == 1;
                    double ms = perEpochMs(sc, workers);
                    if (i >= 0) epoch[mode][i] = ms;
                }
            SparkTrainer.allGatherRendezvous = false;
            System.out.printf(Locale.ROOT, "  per-epoch overhead of SparkTrainer.train (barrier stage, rendezvous, ring join, checkpoint): %.0f ms with the"
                    + " driver's rendezvous, %.0f ms with allGather%n", median(epoch[0]), median(epoch[1]));
            results.add(String.format(Locale.ROOT, "RESULT bench=spark-epoch master=%s rendezvous=driver overhead_ms=%.1f", master, median(epoch[0])));
            results.add(String.format(Locale.ROOT, "RESULT bench=spark-epoch master=%s rendezvous=allgather overhead_ms=%.1f", master, median(epoch[1])));

            // 2. driver mode's exchange against broadcast + treeAggregate of the same size.
            int cnnParams = (int) Models.cnn(0).params().numel();
            double[] driverExchange = new double[2];
            int[] sizes = {1_000_000, cnnParams};
            for (int k = 0; k < sizes.length; k++) {
                int n = sizes[k];
                double[][] t = new double[2][repeat];
                for (int i = -1; i < repeat; i++) {
                    double base = broadcastTreeAggregateMs(sc, workers, n), drv = driverStepMs(sc, workers, n);
                    if (i >= 0) {
                        t[0][i] = base;
                        t[1][i] = drv;
                    }
                }
                driverExchange[k] = median(t[1]);
                System.out.printf(Locale.ROOT, "  %,d floats: broadcast + treeAggregate %.1f ms; a driver-mode step (trivial loss) %.1f ms: %.2fx%n",
                        n, median(t[0]), median(t[1]), median(t[1]) / median(t[0]));
                results.add(String.format(Locale.ROOT, "RESULT bench=spark-exchange master=%s params=%d broadcast_treeaggregate_ms=%.1f driver_step_ms=%.1f ratio=%.2f",
                        master, n, median(t[0]), median(t[1]), median(t[1]) / median(t[0])));
            }

            // 3. the CNN: ring inside a barrier stage (executor JVMs), and driver mode.
            double[] ring = cnnRing(sc, workers, repeat);
            System.out.printf(Locale.ROOT, "%nCNN of bench train (%,d parameters), global batch %d, %d per worker:%n", cnnParams, CNN_BATCH, CNN_BATCH / workers);
            System.out.printf(Locale.ROOT, "  spark-ring  all-reduce %.2f ms; step %.1f ms (in the trainer's all-reduce, with waiting: %.1f ms); overhead %.4f%n",
                    ring[0], ring[1], ring[2], ring[0] / ring[1]);
            results.add(String.format(Locale.ROOT, "RESULT bench=dataparallel mode=spark-ring params=%d exchange_ms=%.3f step_ms=%.3f overhead=%.4f model=cnn master=%s",
                    cnnParams, ring[0], ring[1], ring[0] / ring[1], master));
            double driverStep = cnnDriverStepMs(sc, workers, repeat);
            System.out.printf(Locale.ROOT, "  driver      exchange %.1f ms (measured above); step %.1f ms; overhead %.4f%n",
                    driverExchange[1], driverStep, driverExchange[1] / driverStep);
            results.add(String.format(Locale.ROOT, "RESULT bench=dataparallel mode=driver params=%d exchange_ms=%.3f step_ms=%.3f overhead=%.4f model=cnn master=%s",
                    cnnParams, driverExchange[1], driverStep, driverExchange[1] / driverStep, master));
        }
        System.out.println();
        results.forEach(System.out::println);
    }

    static JavaRDD<SparkTrainer.Example> rows(JavaSparkContext sc, int workers, int perWorker, int in, int out) {
        Rng rng = new Rng(11);
        List<SparkTrainer.Example> rows = new ArrayList<>();
        for (int i = 0; i < workers * perWorker; i++)
            rows.add(new SparkTrainer.Example(Tensor.randn(rng, in).toFloatArray(), Tensor.randn(rng, out).toFloatArray()));
        return sc.parallelize(rows, workers);
    }

    /** (train with 4 epochs − train with 1 epoch) / 3, one tiny step per epoch. */
    static double perEpochMs(JavaSparkContext sc, int workers) {
        JavaRDD<SparkTrainer.Example> data = rows(sc, workers, 1, 1, 1);
        Params p = Params.of("w", Tensor.zeros(1, 1), "b", Tensor.zeros(1));
        SparkTrainer.Loss loss = (q, x, y) -> x.matmul(q.get("w")).add(q.get("b")).sub(y).square().mean();
        long t0 = System.nanoTime();
        SparkTrainer.train(data, p, loss, () -> Sgd.of(0.1), SparkTrainer.Config.of(workers, 1, 1));
        long t1 = System.nanoTime();
        SparkTrainer.train(data, p, loss, () -> Sgd.of(0.1), SparkTrainer.Config.of(workers, 4, 1));
        long t2 = System.nanoTime();
        return ((t2 - t1) - (t1 - t0)) / 3e6;
    }

    /** The plain exchange: broadcast n floats, every partition returns n floats, treeAggregate sums them in float64. */
    static double broadcastTreeAggregateMs(JavaSparkContext sc, int workers, int n) {
        JavaRDD<Integer> tasks = sc.parallelize(List.of(0, 1, 2, 3, 4, 5, 6, 7).subList(0, workers), workers);
        long t0 = System.nanoTime();
        Broadcast<float[]> current = sc.broadcast(new float[n]);
        double[] sum = tasks.map(t -> {
            float[] g = current.value().clone();
            g[0] += t;
            return g;
        }).treeAggregate(new double[0], SparkBench::addInto, SparkBench::addInto, 2);
        current.destroy();
        if (sum.length != n) throw new IllegalStateException("treeAggregate: wrong length " + sum.length);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Adds a partition's float[] (or a partial double[] sum) into the accumulator, which starts empty so no zero value travels. */
    private static double[] addInto(double[] acc, Object x) {
        int len = x instanceof float[] f ? f.length : ((double[]) x).length;
        if (acc.length == 0) acc = new double[len];
        if (x instanceof float[] f) for (int i = 0; i < len; i++) acc[i] += f[i];
        else for (int i = 0; i < len; i++) acc[i] += ((double[]) x)[i];
        return acc;
    }

    private static double[] addInto(double[] acc, float[] x) {
        return addInto(acc, (Object) x);
    }

    private static double[] addInto(double[] acc, double[] x) {
        return addInto(acc, (Object) x);
    }

    /** One driver-mode step of an n-parameter model with a trivial loss: (3 steps − 1 step) / 2. */
    static double driverStepMs(JavaSparkContext sc, int workers, int n) {
        Params p = Params.of("w", Tensor.zeros(n));
        SparkTrainer.Loss loss = (q, x, y) -> q.get("w").sum().mul(x.sum());
        JavaRDD<SparkTrainer.Example> one = rows(sc, workers, 1, 1, 1), three = rows(sc, workers, 3, 1, 1);
        long t0 = System.nanoTime();
        SparkTrainer.trainOnDriver(one, p, loss, Sgd.of(0.1), SparkTrainer.Config.of(workers, 1, 1));
        long t1 = System.nanoTime();
        SparkTrainer.trainOnDriver(three, p, loss, Sgd.of(0.1), SparkTrainer.Config.of(workers, 1, 1));
        long t2 = System.nanoTime();
        return ((t2 - t1) - (t1 - t0)) / 2e6;
    }

    /** Driver-mode CNN step, 64 rows per partition: (3 steps − 1 step) / 2, median of {@code repeat}. */
    static double cnnDriverStepMs(JavaSparkContext sc, int workers, int repeat) {
        Module model = Models.cnn(0);
        SparkTrainer.Loss loss = cnnLoss();
        int per = CNN_BATCH / workers;
        JavaRDD<SparkTrainer.Example> one = rows(sc, workers, per, 784, 10).cache(), three = rows(sc, workers, 3 * per, 784, 10).cache();
        double[] ms = new double[repeat];
        for (int i = -1; i < repeat; i++) {
            long t0 = System.nanoTime();
            SparkTrainer.trainOnDriver(one, model.params(), loss, Sgd.of(0.01), SparkTrainer.Config.of(workers, 1, per));
            long t1 = System.nanoTime();
            SparkTrainer.trainOnDriver(three, model.params(), loss, Sgd.of(0.01), SparkTrainer.Config.of(workers, 1, per));
            long t2 = System.nanoTime();
            if (i >= 0) ms[i] = ((t2 - t1) - (t1 - t0)) / 2e6;
        }
        return median(ms);
    }

    static SparkTrainer.Loss cnnLoss() {
        return new SparkTrainer.Loss() {
            private transient Module model;

            @Override
            public Tensor apply(Params p, Tensor x, Tensor onehot) {
                if (model == null) model = Models.cnn(0);
                int n = x.shape()[0];
                return onehot.mul(model.apply(p, x.reshape(n, 1, 28, 28)).logSoftmax(1)).sum().neg().div((double) n);
            }
        };
    }

    /**
     * In a barrier stage (one task per executor JVM): the CNN's all-reduce alone and its
     * training step over the ring, timed on rank 0; {median all-reduce, median step, median
     * time inside the trainer's all-reduce} in ms.
     */
    static double[] cnnRing(JavaSparkContext sc, int workers, int repeat) {
        byte[] token = RingCollective.newToken();
        int per = CNN_BATCH / workers;
        List<double[]> out = sc.parallelize(List.of(0, 1, 2, 3, 4, 5, 6, 7).subList(0, workers), workers).rdd().barrier()
                .mapPartitions((scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<double[]>> & java.io.Serializable) it -> {
                    BarrierTaskContext ctx = BarrierTaskContext.get();
                    RingCollective.Endpoint ep = RingCollective.bind(new InetSocketAddress("127.0.0.1", 0));
                    String[] all = ctx.allGather(String.valueOf(ep.address().getPort()));
                    List<InetSocketAddress> ring = new ArrayList<>();
                    for (String port : all) ring.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
                    Module model = Models.cnn(0);
                    Rng rng = new Rng(1 + ctx.partitionId());
                    Tensor x = Tensor.randn(rng, per, 1, 28, 28);
                    float[] onehot = new float[per * 10];
                    for (int i = 0; i < per; i++) onehot[i * 10 + i % 10] = 1;
                    Tensor y = Tensor.of(onehot, per, 10);
                    double[] exchange = new double[repeat], step = new double[repeat], inside = new double[repeat];
                    try (RingCollective c = ep.join(ctx.partitionId(), ring, token, Duration.ofMinutes(2))) {
                        float[] buf = new float[(int) model.params().numel()];
                        var trainer = new DataParallelTrainer<>(c, Sgd.of(0.01), model.params());
                        for (int i = -2; i < repeat; i++) {
                            c.barrier();
                            long t0 = System.nanoTime();
                            c.allReduceSum(buf);
                            long t1 = System.nanoTime();
                            trainer.step((p, xs, ys) -> ys.mul(model.apply(p, xs).logSoftmax(1)).sum().neg().div((double) per), x, y);
                            long t2 = System.nanoTime();
                            if (i >= 0) {
                                exchange[i] = (t1 - t0) / 1e6;
                                step[i] = (t2 - t1) / 1e6;
                                inside[i] = trainer.lastExchangeNanos() / 1e6;
                            }
                        }
                    }
                    List<double[]> r = ctx.partitionId() == 0 ? List.of(new double[] {median(exchange), median(step), median(inside)}) : List.of();
                    return scala.jdk.javaapi.CollectionConverters.asScala(r.iterator());
                }, false, scala.reflect.ClassTag$.MODULE$.apply(double[].class)).toJavaRDD().collect();
        return out.get(0);
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

}
