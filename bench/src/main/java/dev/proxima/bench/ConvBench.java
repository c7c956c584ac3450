package dev.proxima.bench;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Parallel;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code proxima bench conv}: the kernels of a CNN training step one by one, side by side with
 * PyTorch, on the shapes of {@code Models.cnn} (the CNN of {@code bench train}, {@code train
 * --model cnn} and {@code demo}: conv3×3 1→16 on 28×28, conv3×3 16→32 on 14×14, padding 1,
 * each followed by BatchNorm and a 2×2 max-pool) at batch 128:
 * <ul>
 *   <li>{@code conv1_fwd}, {@code conv2_fwd}: the convolution's value (no graph recorded);</li>
 *   <li>{@code conv1_bwd_weight}, {@code conv2_bwd_weight}: the weight's gradient alone, from
 *       a recorded forward (PyTorch: {@code autograd.grad(y, w, g, retain_graph=True)});</li>
 *   <li>{@code conv2_bwd_input}: the input's gradient alone (the first layer needs none);</li>
 *   <li>{@code pool1}, {@code pool2}: 2×2 max-pool forward and the input's gradient;</li>
 *   <li>{@code bn1}, {@code bn2}: BatchNorm in training mode, forward and the gradients of the
 *       input, scale and shift.</li>
 * </ul>
 * Options as {@code bench train}: {@code --device SPEC}, {@code --repeat N},
 * {@code --warmup N}, {@code --cases A,B}, {@code --no-peer}.
 */
public final class ConvBench {
    static final int BATCH = 128;
    static final List<String> CASES = List.of("conv1_fwd", "conv1_bwd_weight", "conv2_fwd", "conv2_bwd_input", "conv2_bwd_weight",
            "pool1", "pool2", "bn1", "bn2");

    private ConvBench() {}

    public static void main(String[] args) throws Exception {
        TorchPeer.Options o = TorchPeer.Options.parse("conv", args, 20, 5, CASES);
        Device d = o.device();
        int threads = Parallel.threads();
        System.err.printf(Locale.ROOT, "bench conv: device %s, %d threads, batch %d, >= %d warm-up runs, until stable, + %d timed runs per case%n",
                d, threads, BATCH, o.warmup(), o.repeat());
        Explain explain = new Explain("conv");
        Map<String, Double> peerMs = TorchPeer.times(explain, "conv_torch.py", o, threads);
        for (String c : o.cases())
            TorchPeer.result(explain, "conv", c, AutogradBench.median(c, run(c, d), d, o.warmup(), o.repeat()), peerMs.get(c));
        explain.verdict();
    }

    /** One case as a repeatable call; inputs are drawn once, outside the timing. */
    static Supplier<Object> run(String c, Device d) {
        Rng rng = new Rng(0);
        boolean first = c.endsWith("1") || c.startsWith("conv1");
        int ch = first ? 1 : 16, out = first ? 16 : 32, hw = first ? 28 : 14;
        Conv2dSpec spec = Conv2dSpec.of(1, 1);
        return switch (c.replaceAll("[0-9]", "")) {
            case "conv_fwd" -> {
                Tensor x = Tensor.randn(rng, BATCH, ch, hw, hw).to(d), w = Tensor.randn(rng, out, ch, 3, 3).to(d);
                yield () -> {
                    try (var ignored = Autograd.noGrad()) {
                        return Tensor.conv2d(x, w, spec);
                    }
                };
            }
            case "conv_bwd_input", "conv_bwd_weight" -> {
                boolean input = c.endsWith("input");
                Tensor x = Tensor.randn(rng, BATCH, ch, hw, hw).to(d).requiresGrad(input);
                Tensor w = Tensor.randn(rng, out, ch, 3, 3).to(d).requiresGrad(!input);
                Tensor y = Tensor.conv2d(x, w, spec);
                Tensor g = Tensor.randn(rng, y.shape()).to(d);
                Tensor wrt = input ? x : w;
                yield () -> Autograd.grad(List.of(y), List.of(wrt), List.of(g), true, false, false);
            }
            case "pool" -> {
                // pool1 pools conv1's output (16 channels, 28x28), pool2 conv2's (32, 14x14)
                Tensor x = Tensor.randn(rng, BATCH, out, hw, hw).to(d).requiresGrad(true);
                Tensor g = Tensor.randn(rng, BATCH, out, hw / 2, hw / 2).to(d);
                yield () -> Autograd.grad(List.of(Tensor.maxPool2d(x, Pool2dSpec.of(2))), List.of(x), List.of(g), false, false, false);
            }
            case "bn" -> {
                Tensor x = Tensor.randn(rng, BATCH, out, hw, hw).to(d).requiresGrad(true);
                Tensor w = Tensor.randn(rng, out).to(d).requiresGrad(true), b = Tensor.randn(rng, out).to(d).requiresGrad(true);
                Tensor g = Tensor.randn(rng, x.shape()).to(d);
                yield () -> Autograd.grad(List.of(Tensor.batchNorm(x, w, b, 1e-5)), List.of(x, w, b), List.of(g), false, false, false);
            }
            default -> throw new IllegalArgumentException("bench conv: unknown case " + c);
        };
    }
}
