package dev.proxima.bench;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.Sgd;
import dev.proxima.parallel.Collective;
import dev.proxima.parallel.DataParallelTrainer;
import dev.proxima.parallel.RingCollective;
import dev.proxima.parallel.ThreadCollective;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Parallel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code proxima bench dataparallel}: what synchronous data parallelism costs per step.
 * For a model of 1M and of 10M float32 parameters (an MLP 784-H-10, H chosen for the count)
 * and {@code --workers} workers (default 2) it measures, per mode:
 * <ul>
 *   <li>{@code exchange_ms}: one all-reduce of the flat gradient buffer (median of
 *       {@code --repeat}), alone, with every worker ready;</li>
 *   <li>{@code step_ms}: a whole data-parallel training step (shard forward and backward,
 *       flattening, the all-reduce, the SGD update), median over the steps of worker 0;</li>
 *   <li>{@code overhead}: {@code exchange_ms / step_ms}, the exchange's share of a step.</li>
 * </ul>
 * Modes: {@code thread} (workers are threads sharing memory) and {@code ring} (the TCP ring
 * over 127.0.0.1, the full wire path: framing, copies, the kernel's loopback). In the same
 * run it measures the loopback bound (pushing twice the buffer's bytes through one loopback
 * TCP connection: what a 2-rank ring must move per rank) and the ring's small-message
 * latency, and prints the scaling model of docs/PARALLEL.md with these figures.
 *
 * <p>The {@code cnn} model is the CNN of {@code proxima bench train}, {@code train --model cnn},
 * {@code demo} and the APO study ({@code Models.cnn(0)}: two conv3×3 (16 and 32 channels) +
 * BatchNorm + ReLU + pool, Linear(1568, 128), Linear(128, 10); 28×28×1 inputs,
 * global batch 128 as there, cross-entropy), trained data-parallel the same way: its RESULT
 * lines carry {@code model=cnn} (the MLP's {@code model=mlp}). BatchNorm normalizes each
 * worker's shard by its own statistics, as PyTorch's DDP does without SyncBatchNorm.
 * With the cnn model and the spark profile built, {@link #spark} adds {@code mode=driver}
 * and {@code mode=spark-ring} (the ring between executor JVMs) from {@code spark/bench.sh}.
 * Options: {@code --repeat N} (default 9), {@code --workers N}, {@code --params a,b},
 * {@code --batch N} (the MLP's global batch, default 64), {@code --models mlp,cnn}.
 */
public final class DataParallelBench {
    private static final int IN = 784, OUT = 10;
    /** The CNN's global batch: the one of {@code bench train}'s cnn case. */
    private static final int CNN_BATCH = 128;

    private DataParallelBench() {}

    public static void main(String[] args) throws Exception {
        int repeat = 9, workers = 2, batch = 64;
        long[] sizes = {1_000_000, 10_000_000};
        List<String> models = List.of("mlp", "cnn");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = positive(args, ++i);
                case "--workers" -> workers = positive(args, ++i);
                case "--batch" -> batch = positive(args, ++i);
                case "--params" -> sizes = Arrays.stream(value(args, ++i).split(",")).mapToLong(Long::parseLong).toArray();
                case "--models" -> {
                    models = List.of(value(args, ++i).split(","));
                    for (String m : models) if (!m.equals("mlp") && !m.equals("cnn")) usage("unknown model '" + m + "' (mlp, cnn)");
                }
                case "--scalar" -> { }
                default -> usage("unknown option '" + args[i] + "'");
            }
        }
        System.out.printf(Locale.ROOT, "dataparallel: %d workers, MLP global batch %d, %d CPU threads for kernels, %d cores, repeat %d%n",
                workers, batch, Parallel.threads(), Runtime.getRuntime().availableProcessors(), repeat);
        if (workers < 2) usage("--workers " + workers + ": there is nothing to exchange with fewer than 2 workers");
        double latencyMs = ringLatencyMs(workers, repeat * 20);
        System.out.printf(Locale.ROOT, "ring latency: all-reduce of 1 float over %d ranks %.3f ms (alpha = %.1f us per hop)%n",
                workers, latencyMs, latencyMs * 1000 / (2.0 * (workers - 1)));
        List<String> results = new ArrayList<>();
        if (models.contains("cnn")) cnn(workers, repeat, results);
        for (long params : models.contains("mlp") ? sizes : new long[0]) {
            int hidden = (int) Math.max(1, Math.round((params - OUT) / (double) (IN + 1 + OUT)));
            Params model = mlp(hidden);
            long n = model.numel();
            double[] ringVsBound = ringAgainstLoopback(workers, (int) n, repeat); // {ring ms, bound ms, ratio}
            double boundMs = ringVsBound[1];
            System.out.printf(Locale.ROOT, "%n%,d parameters (MLP %d-%d-%d), %.1f MB of float32 gradients%n", n, IN, hidden, OUT, n * 4 / 1e6);
            System.out.printf(Locale.ROOT, "  loopback bound: %.1f MB through one loopback TCP connection in %.2f ms (%.2f GB/s)%n",
                    n * 8 / 1e6, boundMs, n * 8 / 1e6 / boundMs);
            System.out.printf(Locale.ROOT, "  ring all-reduce measured right after each bound: %.2f ms, median ratio %.2fx the bound%n",
                    ringVsBound[0], ringVsBound[2]);
            for (String mode : List.of("thread", "ring")) {
                double exchangeMs = exchangeMs(mode, workers, (int) n, repeat);
                double[] step = stepMs(mode, workers, model, batch, repeat);
                double overhead = exchangeMs / step[0];
                System.out.printf(Locale.ROOT, "  %-6s all-reduce %.2f ms%s; step %.2f ms (of which in the trainer's all-reduce, with waiting: %.2f ms); overhead %.3f%n",
                        mode, exchangeMs, "",
                        step[0], step[1], overhead);
                results.add(String.format(Locale.ROOT, "RESULT bench=dataparallel mode=%s params=%d exchange_ms=%.3f step_ms=%.3f overhead=%.4f model=mlp",
                        mode, n, exchangeMs, step[0], overhead));
                if (mode.equals("ring") && params == sizes[sizes.length - 1]) scalingModel(n * 4, step[0] - exchangeMs, latencyMs / (2.0 * (workers - 1)));
            }
        }
        if (models.contains("cnn")) spark(results);
        System.out.println();
        results.forEach(System.out::println);
    }

    /**
     * mode=driver and the ring across executor JVMs (mode=spark-ring), on the CNN, from the
     * spark module's SparkBench on local-cluster, when the spark profile is built (its build
     * writes spark/target/spark.classpath). A separate JVM: this module has no Spark.
     */
    static void spark(List<String> results) throws IOException, InterruptedException {
        java.nio.file.Path root = java.nio.file.Path.of(DataParallelBench.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                .getParent().getParent().getParent().getParent(); // <root>/cli/target/lib/proxima-bench.jar
        if (!java.nio.file.Files.isRegularFile(root.resolve("spark/target/spark.classpath"))) {
            System.out.println("\n  driver mode and the ring across executor JVMs: not measured (build the spark profile: mvn -Pspark -pl spark -am compile)");
            return;
        }
        System.out.println("\nSpark (spark/bench.sh, local-cluster: two executor JVMs):");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("spark/bench.sh").toString()).redirectErrorStream(true);
        pb.environment().put("PROXIMA_SPARK_PREBUILT", "1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        List<String> found = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("RESULT ")) found.add(line);
                    else if (!line.contains(" WARN ") && !line.startsWith("\tat ")) System.out.println("  " + line);
                }
            } catch (IOException e) {
                System.out.println("  spark/bench.sh: " + e.getMessage());
            }
        });
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            System.out.println("  spark/bench.sh did not finish within 20 minutes; stopped");
        } else if (p.exitValue() != 0) System.out.println("  spark/bench.sh failed with status " + p.exitValue());
        reader.join(10_000);
        results.addAll(found);
    }

    /** The CNN of {@code bench train}, global batch {@link #CNN_BATCH}, sharded over the workers. */
    static void cnn(int workers, int repeat, List<String> results) {
        Module model = Models.cnn(0);
        Params params = model.params();
        long n = params.numel();
        Tensor x = Tensor.randn(new Rng(1), CNN_BATCH, 1, 28, 28);
        int[] labels = new int[CNN_BATCH];
        for (int i = 0; i < CNN_BATCH; i++) labels[i] = i % 10;
        Tensor y = Tensor.of(NDArray.of(labels, CNN_BATCH));
        System.out.printf(Locale.ROOT, "%n%,d parameters (the CNN of bench train, global batch %d, %d per worker), %.2f MB of float32 gradients%n",
                n, CNN_BATCH, CNN_BATCH / workers, n * 4 / 1e6);
        for (String mode : List.of("thread", "ring")) {
            double exchangeMs = exchangeMs(mode, workers, (int) n, repeat);
            // Module.apply is pure and thread-safe: one module serves every worker.
            double[] step = stepMs(mode, workers, params, (p, xs, ys) -> Losses.crossEntropy(model.apply(p, xs), ys), x, y, repeat);
            double overhead = exchangeMs / step[0];
            System.out.printf(Locale.ROOT, "  %-6s all-reduce %.2f ms; step %.2f ms (of which in the trainer's all-reduce, with waiting: %.2f ms); overhead %.3f%n",
                    mode, exchangeMs, step[0], step[1], overhead);
            results.add(String.format(Locale.ROOT, "RESULT bench=dataparallel mode=%s params=%d exchange_ms=%.3f step_ms=%.3f overhead=%.4f model=cnn",
                    mode, n, exchangeMs, step[0], overhead));
        }
    }

    /** A 784-hidden-10 MLP with relu, float32, about 795 * hidden parameters. */
    static Params mlp(int hidden) {
        Rng rng = new Rng(7);
        return Params.of("w1", Tensor.randn(rng, IN, hidden).mul(Math.sqrt(2.0 / IN)), "b1", Tensor.zeros(hidden),
                "w2", Tensor.randn(rng, hidden, OUT).mul(Math.sqrt(1.0 / hidden)), "b2", Tensor.zeros(OUT));
    }

    static Tensor loss(Params p, Tensor x, Tensor onehot) {
        Tensor logits = x.matmul(p.get("w1")).add(p.get("b1")).relu().matmul(p.get("w2")).add(p.get("b2"));
        return onehot.mul(logits.logSoftmax(1)).sum().neg().div((double) x.shape(0));
    }

    static List<? extends Collective> group(String mode, int workers) {
        Duration t = Duration.ofMinutes(2);
        return mode.equals("ring") ? RingCollective.local(workers, t) : ThreadCollective.group(workers, t);
    }

    /** Median time of one all-reduce of {@code n} floats, every worker ready (a barrier first). */
    static double exchangeMs(String mode, int workers, int n, int repeat) {
        List<double[]> times = DataParallelTrainer.runOnThreads(group(mode, workers), c -> {
            float[] buf = new float[n];
            Arrays.fill(buf, 1f / (c.rank() + 1));
            double[] ms = new double[repeat];
            for (int i = -2; i < repeat; i++) {
                c.barrier();
                long t0 = System.nanoTime();
                c.allReduceSum(buf);
                if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            return ms;
        });
        return median(times.get(0));
    }

    /**
     * The ring all-reduce against the loopback bound, measured in alternation so that the load
     * of a shared machine weighs on both alike: each repetition pushes twice the buffer
     * through a loopback connection, then runs one all-reduce. Medians of the ring, the
     * bound, and their per-repetition ratio.
     */
    static double[] ringAgainstLoopback(int workers, int n, int repeat) {
        double[] bound = new double[repeat], ring = new double[repeat], ratio = new double[repeat];
        DataParallelTrainer.runOnThreads(group("ring", workers), c -> {
            float[] buf = new float[n];
            for (int i = -2; i < repeat; i++) {
                double b = 0;
                if (c.rank() == 0) {
                    try {
                        b = loopbackMs((long) n * 4 * 2, 1);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                c.barrier();
                long t0 = System.nanoTime();
                c.allReduceSum(buf);
                double r = (System.nanoTime() - t0) / 1e6;
                if (i >= 0 && c.rank() == 0) {
                    bound[i] = b;
                    ring[i] = r;
                    ratio[i] = r / b;
                }
            }
            return null;
        });
        return new double[] {median(ring), median(bound), median(ratio)};
    }

    /** Median step time and median time inside the trainer's all-reduce, worker 0. */
    static double[] stepMs(String mode, int workers, Params model, int batch, int repeat) {
        Rng rng = new Rng(11);
        Tensor x = Tensor.randn(rng, batch, IN);
        Tensor labels = Tensor.uniform(new Rng(12), 0, OUT, DType.FLOAT32, batch).to(DType.INT32);
        Tensor onehot = Tensor.oneHot(labels, OUT, DType.FLOAT32);
        return stepMs(mode, workers, model, DataParallelBench::loss, x, onehot, repeat);
    }

    /** Median step time and median time inside the trainer's all-reduce, worker 0, for any model and global batch. */
    static double[] stepMs(String mode, int workers, Params model, DataParallelTrainer.XyLoss loss, Tensor x, Tensor onehot, int repeat) {
        List<double[][]> times = DataParallelTrainer.runOnThreads(group(mode, workers), c -> {
            var trainer = new DataParallelTrainer<>(c, Sgd.of(0.01), model);
            Tensor xs = DataParallelTrainer.shard(x, c.rank(), c.size()), ys = DataParallelTrainer.shard(onehot, c.rank(), c.size());
            double[] step = new double[repeat], exchange = new double[repeat];
            for (int i = -2; i < repeat; i++) {
                long t0 = System.nanoTime();
                trainer.step(loss, xs, ys);
                if (i >= 0) {
                    step[i] = (System.nanoTime() - t0) / 1e6;
                    exchange[i] = trainer.lastExchangeNanos() / 1e6;
                }
            }
            return new double[][] {step, exchange};
        });
        return new double[] {median(times.get(0)[0]), median(times.get(0)[1])};
    }

    /** Median time of one small all-reduce on the ring: 2(p-1) hops of latency and no bandwidth to speak of. */
    static double ringLatencyMs(int workers, int repeat) {
        List<double[]> times = DataParallelTrainer.runOnThreads(group("ring", workers), c -> {
            float[] one = {1};
            double[] ms = new double[repeat];
            for (int i = -20; i < repeat; i++) {
                long t0 = System.nanoTime();
                c.allReduceSum(one);
                if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            return ms;
        });
        return median(times.get(0));
    }

    /** Median time to push {@code bytes} through one loopback TCP connection, sender to receiver. */
    static double loopbackMs(long bytes, int repeat) throws IOException {
        double[] ms = new double[repeat];
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            for (int i = repeat > 1 ? -1 : 0; i < repeat; i++) {
                try (SocketChannel out = SocketChannel.open(server.getLocalAddress()); SocketChannel in = server.accept()) {
                    CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> drain(in, bytes));
                    ByteBuffer chunk = ByteBuffer.allocateDirect(4 << 20);
                    long t0 = System.nanoTime();
                    for (long sent = 0; sent < bytes; ) {
                        chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - sent));
                        while (chunk.hasRemaining()) sent += out.write(chunk);
                    }
                    reader.join();
                    if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return median(ms);
    }

    private static void drain(SocketChannel in, long bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
        try {
            for (long got = 0; got < bytes; ) {
                b.clear();
                int n = in.read(b);
                if (n < 0) throw new IOException("loopback: connection closed early");
                got += n;
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * The ring model T(p) = compute + 2(p-1)/p * bytes / bandwidth + 2(p-1) * alpha, with the
     * compute measured here (weak scaling: each worker keeps its shard) and alpha the
     * measured per-hop software latency plus an assumed 5 us of wire and switch.
     */
    static void scalingModel(long bytes, double computeMs, double alphaMs) {
        double alpha = alphaMs + 0.005;
        System.out.printf(Locale.ROOT, "  scaling model (ring, %.1f MB per step, compute %.1f ms, alpha %.1f us): predicted step ms%n",
                bytes / 1e6, computeMs, alpha * 1000);
        System.out.printf(Locale.ROOT, "    %-8s %10s %10s %10s%n", "workers", "10 Gbit/s", "25 Gbit/s", "100 Gbit/s");
        for (int p : new int[] {8, 64, 512}) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "    %-8d", p));
            for (double gbit : new double[] {10, 25, 100}) {
                double bwBytesPerMs = gbit * 1e9 / 8 / 1000;
                double t = computeMs + 2.0 * (p - 1) / p * bytes / bwBytesPerMs + 2.0 * (p - 1) * alpha;
                row.append(String.format(Locale.ROOT, " %10.1f", t));
            }
            System.out.println(row);
        }
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int positive(String[] args, int i) {
        try {
            int v = Integer.parseInt(value(args, i));
            if (v >= 1) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usage(args[i - 1] + " " + args[i] + ": expected a positive integer");
        return 0;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) usage(args[i - 1] + " needs a value");
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("bench dataparallel: " + problem);
        System.err.println("usage: ./proxima bench dataparallel [--repeat N] [--workers N] [--params 1000000,10000000] [--batch N] [--models mlp,cnn]");
        System.exit(2);
    }
}
