package dev.proxima.spark;

import dev.proxima.parallel.RingCollective;
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
 * The exchange per step of the two Spark modes, for 1M and 10M float32 parameters, in
 * {@code local[2]} (or the master given as the first argument): {@code driver} (broadcast the
 * parameters, {@code treeAggregate} one gradient vector per partition: one Spark job) and
 * {@code ring} (a barrier stage whose tasks all-reduce over the TCP ring, timed inside the
 * tasks). Prints {@code RESULT bench=dataparallel mode=driver params=... exchange_ms=... step_ms=... overhead=...}, the step
 * being one worker's forward and backward (measured here) plus the driver's exchange.
 * Run with {@code spark/bench.sh}; it is not part of {@code ./proxima bench}, whose build has no Spark.
 */
public final class SparkBench {
    private SparkBench() {}

    public static void main(String[] args) {
        String master = args.length > 0 ? args[0] : "local[2]";
        int repeat = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        SparkConf conf = new SparkConf().setMaster(master).setAppName("proxima-spark-bench").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.serializer.extraDebugInfo", "false").set("spark.driver.maxResultSize", "2g");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            int slots = sc.defaultParallelism();
            JavaRDD<Integer> tasks = sc.parallelize(new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7).subList(0, slots)), slots);
            tasks.count();
            List<String> results = new ArrayList<>();
            for (int params : new int[] {1_000_000, 10_000_000}) {
                double[] driver = new double[repeat];
                for (int i = -1; i < repeat; i++) {
                    long t0 = System.nanoTime();
                    Broadcast<float[]> current = sc.broadcast(new float[params]);
                    double[] sum = tasks.map(t -> {
                        float[] p = current.value();
                        double[] g = new double[p.length];
                        for (int k = 0; k < g.length; k++) g[k] = p[k] + t;
                        return g;
                    }).treeAggregate(new double[params], SparkBench::addInto, SparkBench::addInto, 2);
                    current.destroy();
                    if (i >= 0) driver[i] = (System.nanoTime() - t0) / 1e6;
                    if (sum.length != params) throw new IllegalStateException("driver: wrong length");
                }
                byte[] token = RingCollective.newToken();
                int n = params, reps = repeat;
                List<double[]> ringTimes = sc.parallelize(new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7).subList(0, slots)), slots).rdd().barrier()
                        .mapPartitions((scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<double[]>> & java.io.Serializable) it -> {
                            BarrierTaskContext ctx = BarrierTaskContext.get();
                            RingCollective.Endpoint ep = RingCollective.bind(new InetSocketAddress("127.0.0.1", 0));
                            String[] all = ctx.allGather(String.valueOf(ep.address().getPort()));
                            List<InetSocketAddress> ring = new ArrayList<>();
                            for (String port : all) ring.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
                            double[] ms = new double[reps];
                            try (RingCollective c = ep.join(ctx.partitionId(), ring, token, Duration.ofMinutes(2))) {
                                float[] buf = new float[n];
                                for (int i = -1; i < reps; i++) {
                                    c.barrier();
                                    long t0 = System.nanoTime();
                                    c.allReduceSum(buf);
                                    if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
                                }
                            }
                            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(ms).iterator());
                        }, false, scala.reflect.ClassTag$.MODULE$.apply(double[].class)).toJavaRDD().collect();
                double driverMs = median(driver), ringMs = median(ringTimes.get(0)), computeMs = computeMs(params, repeat);
                System.out.printf(Locale.ROOT, "%,d params, %d slots: driver (broadcast + treeAggregate) %.1f ms; ring inside a barrier stage %.1f ms;"
                        + " compute of one worker's shard (MLP 784-H-10, 32 rows, forward + backward) %.1f ms%n", params, slots, driverMs, ringMs, computeMs);
                double stepMs = computeMs + driverMs;
                results.add(String.format(Locale.ROOT, "RESULT bench=dataparallel mode=driver params=%d exchange_ms=%.3f step_ms=%.3f overhead=%.4f",
                        params, driverMs, stepMs, driverMs / stepMs));
            }
            results.forEach(System.out::println);
        }
    }

    /** Median forward + backward time of a 784-H-10 MLP with about {@code params} parameters on 32 rows. */
    static double computeMs(int params, int repeat) {
        int hidden = Math.max(1, Math.round((params - 10) / 795f));
        dev.proxima.tensor.Rng rng = new dev.proxima.tensor.Rng(7);
        dev.proxima.autograd.Params p = dev.proxima.autograd.Params.of(
                "w1", dev.proxima.autograd.Tensor.randn(rng, 784, hidden).mul(0.05), "b1", dev.proxima.autograd.Tensor.zeros(hidden),
                "w2", dev.proxima.autograd.Tensor.randn(rng, hidden, 10).mul(0.05), "b2", dev.proxima.autograd.Tensor.zeros(10));
        dev.proxima.autograd.Tensor x = dev.proxima.autograd.Tensor.randn(rng, 32, 784), y = dev.proxima.autograd.Tensor.randn(rng, 32, 10);
        double[] ms = new double[repeat];
        for (int i = -2; i < repeat; i++) {
            long t0 = System.nanoTime();
            dev.proxima.autograd.Params leaves = p.requiresGrad();
            dev.proxima.autograd.Tensor l = x.matmul(leaves.get("w1")).add(leaves.get("b1")).relu().matmul(leaves.get("w2")).add(leaves.get("b2"))
                    .sub(y).square().mean();
            dev.proxima.autograd.Autograd.grad(l, leaves);
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return median(ms);
    }

    private static double[] addInto(double[] acc, double[] x) {
        for (int i = 0; i < acc.length; i++) acc[i] += x[i];
        return acc;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
