package dev.proxima.bench;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Module;
import dev.proxima.nn.TransformerEncoderLayer;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.optim.Sgd;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Parallel;
import dev.proxima.train.Learner;
import dev.proxima.train.Objective;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * {@code proxima bench train}: one training step (forward, backward, SGD update) of three
 * models, side by side with PyTorch on the same shapes and thread count:
 * <ul>
 *   <li>{@code mlp}: 784-1024-1024-10 with ReLU, batch 256, cross-entropy;</li>
 *   <li>{@code cnn}: {@code Models.cnn}, the model {@code train --model cnn} and {@code demo}
 *       train: two conv3×3 (16, 32 channels) + BatchNorm + ReLU + 2×2 max-pool, then
 *       Linear(1568, 128) + ReLU + Linear(128, 10); 28×28×1, batch 128, cross-entropy;</li>
 *   <li>{@code transformer}: one post-norm encoder layer, d = 256, 4 heads, FFN 1024 (ReLU),
 *       no dropout, sequence 128, batch 16, mean squared error against a fixed target.</li>
 * </ul>
 * A Proxima step is the library's, as {@code proxima train} takes it: {@link Learner#step} of
 * {@code Learner.of(Sgd.of(lr), objective)} (the loss and its gradient by
 * {@code Autograd.valueAndGrad}, θ − lr·g by the rule, BatchNorm's statistics moved);
 * PyTorch's is {@code zero_grad(); loss.backward(); SGD.step()}. Median of {@code --repeat} runs.
 * Options: {@code --device SPEC}, {@code --repeat N}, {@code --warmup N},
 * {@code --cases mlp,cnn,transformer}, {@code --no-peer}.
 */
public final class TrainBench {
    private TrainBench() {}

    static final double LR = 0.01;

    public static void main(String[] args) throws Exception {
        TorchPeer.Options o = TorchPeer.Options.parse("train", args, 10, 3, List.of("mlp", "cnn", "transformer"));
        Device device = o.device();
        int threads = Parallel.threads();
        System.err.printf(Locale.ROOT, "bench train: device %s, %d threads, max heap %d MiB, >= %d warm-up runs, until stable, + %d timed runs per case%n",
                device, threads, Runtime.getRuntime().maxMemory() >> 20, o.warmup(), o.repeat());
        Explain explain = new Explain("train");
        Map<String, Double> peerMs = TorchPeer.times(explain, "train_torch.py", o, threads);
        for (String c : o.cases()) {
            Supplier<Object> step = switch (c) {
                case "mlp" -> classifierStep(Models.mlp(0, 784, 1024, 1024, 10), new int[] {256, 784}, device);
                case "cnn" -> classifierStep(Models.cnn(0), new int[] {128, 1, 28, 28}, device);
                default -> transformerStep(device);
            };
            double ms = AutogradBench.median(c, step, device, o.warmup(), o.repeat());
            TorchPeer.result(explain, "train", c, ms, peerMs.get(c));
        }
        explain.verdict();
    }

    /** One step of plain SGD at {@link #LR} through the library's learner, from the model's parameters. */
    static Supplier<Object> sgdStep(Module model, BiFunction<Tensor, Tensor, Tensor> loss, Tensor x, Tensor y) {
        Learner learner = Learner.of(Sgd.of(LR), Objective.of(model, loss));
        return () -> learner.step(x, y, null);
    }

    static Supplier<Object> classifierStep(Module model, int[] inputShape, Device device) {
        model.to(device);
        Rng rng = new Rng(1);
        Tensor x = Tensor.randn(rng, inputShape).to(device);
        int batch = inputShape[0];
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        Tensor y = Tensor.of(NDArray.of(labels, batch)).to(device);
        return sgdStep(model, Losses::crossEntropy, x, y);
    }

    static Supplier<Object> transformerStep(Device device) {
        Module layer = new TransformerEncoderLayer(256, 4, 1024, 0.0, Activation.relu(), false, false, new Rng(0)).to(device);
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 16, 128, 256).to(device);
        Tensor target = Tensor.randn(rng, DType.FLOAT32, 16, 128, 256).to(device);
        return sgdStep(layer, Losses::mse, x, target);
    }
}
