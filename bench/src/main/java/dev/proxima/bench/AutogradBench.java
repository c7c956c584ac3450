package dev.proxima.bench;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Parallel;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code proxima bench autograd}: forward + backward time of two workloads, side by side
 * with PyTorch on the same shapes and thread count.
 * <ul>
 *   <li>{@code chain}: 1,000 small elementwise ops on a 64-element float32 vector, then the
 *       gradient of their sum. The kernels are trivial, so this measures the framework's
 *       per-op overhead (recording, the backward walk, rule dispatch).</li>
 *   <li>{@code mlp}: an MLP 784-512-512-10 with relu, batch 128, cross-entropy written as
 *       {@code -(onehot * logSoftmax(logits)).sum() / batch}, gradients of all six
 *       parameters. Dominated by the matmul kernels.</li>
 * </ul>
 * Each case warms up, then times {@code --repeat} runs and reports the median.
 * Options: {@code --device SPEC} (where the tensors live; the clock stops after
 * {@code finish()}), {@code --repeat N}, {@code --warmup N}, {@code --cases chain,mlp},
 * {@code --no-peer}.
 */
public final class AutogradBench {
    static final int CHAIN_SIZE = 64, CHAIN_BLOCKS = 100; // 10 ops per block
    static final int BATCH = 128;

    private AutogradBench() {}

    public static void main(String[] args) throws Exception {
        TorchPeer.Options o = TorchPeer.Options.parse("autograd", args, 20, 5, List.of("chain", "mlp"));
        Device d = o.device();
        int threads = Parallel.threads(), warmup = o.warmup(), repeat = o.repeat();
        System.err.printf(Locale.ROOT, "bench autograd: device %s, %d threads, >= %d warm-up runs, until stable, + %d timed runs per case%n",
                d, threads, warmup, repeat);

        Explain explain = new Explain("autograd");
        Map<String, Double> peerMs = TorchPeer.times(explain, "autograd_torch.py", o, threads);
        if (o.cases().contains("chain")) TorchPeer.result(explain, "autograd", "chain", median("chain", chain(d), d, warmup, repeat), peerMs.get("chain"));
        if (o.cases().contains("mlp")) TorchPeer.result(explain, "autograd", "mlp", median("mlp", mlp(d), d, warmup, repeat), peerMs.get("mlp"));
        explain.verdict();
    }

    // ---- the cases -----------------------------------------------------------------------

    /** Deterministic, bounded constants that the Python side computes with the same formulas. */
    static float[] constant(int n, int mult, double base, double span) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (base + span * ((i * mult) % n) / n);
        return v;
    }

    static Supplier<Object> chain(Device device) {
        Tensor c = on(Tensor.of(constant(CHAIN_SIZE, 37, 0.9, 0.2)), device);
        Tensor d = on(Tensor.of(constant(CHAIN_SIZE, 11, -0.1, 0.2)), device);
        Tensor x0 = on(Tensor.of(NDArray.linspace(-1, 1, CHAIN_SIZE, DType.FLOAT32)), device).requiresGrad(true);
        return () -> {
            Tensor x = x0;
            for (int b = 0; b < CHAIN_BLOCKS; b++) {
                x = x.mul(c).add(d).tanh().sin().mul(0.5).exp().mul(c).sub(d).sigmoid().tanh();
            }
            return Autograd.grad(x.sum(), x0);
        };
    }

    static Supplier<Object> mlp(Device device) {
        Rng rng = new Rng(0);
        Tensor x = on(Tensor.randn(rng, BATCH, 784), device);
        float[] oh = new float[BATCH * 10];
        for (int i = 0; i < BATCH; i++) oh[i * 10 + i % 10] = 1;
        Tensor onehot = on(Tensor.of(oh, BATCH, 10), device);
        List<Tensor> params = List.of(
                param(Tensor.randn(rng, 784, 512).mul(Math.pow(784, -0.5)), device), param(Tensor.zeros(512), device),
                param(Tensor.randn(rng, 512, 512).mul(Math.pow(512, -0.5)), device), param(Tensor.zeros(512), device),
                param(Tensor.randn(rng, 512, 10).mul(Math.pow(512, -0.5)), device), param(Tensor.zeros(10), device));
        return () -> {
            Tensor h = x.matmul(params.get(0)).add(params.get(1)).relu();
            h = h.matmul(params.get(2)).add(params.get(3)).relu();
            Tensor logits = h.matmul(params.get(4)).add(params.get(5));
            Tensor loss = onehot.mul(logits.logSoftmax(1)).sum().neg().div((double) BATCH);
            return Autograd.grad(loss, params, false);
        };
    }

    private static Tensor on(Tensor t, Device device) {
        return t.to(device);
    }

    private static Tensor param(Tensor t, Device device) {
        return t.to(device).requiresGrad(true);
    }

    // ---- timing and reporting --------------------------------------------------------------

    /** The median milliseconds of {@code repeat} runs, after {@link Warmup#untilStable} (and at least {@code warmup} runs). */
    static double median(Supplier<Object> run, Device device, int warmup, int repeat) {
        return median("", run, device, warmup, repeat);
    }

    static double median(String what, Supplier<Object> run, Device device, int warmup, int repeat) {
        Warmup.untilStable(what, warmup, () -> {
            run.get();
            device.backend().finish();
        });
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            run.get();
            device.backend().finish(); // asynchronous devices: the work is done only now
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return Warmup.median(ms);
    }

}
