package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.functional.Losses;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every layer and loss on the OpenCL device against the CPU, forward and backward (the
 * gradients of {@code <c, f>} for a random cotangent, with respect to inputs and parameters),
 * in float32 as used for training. Skipped, with the reason, where there is no OpenCL device.
 */
class OpenClParityTest {
    private static Device cl;

    @BeforeAll
    static void device() {
        String why = null;
        try {
            Device.opencl().backend();
            cl = Device.opencl();
        } catch (RuntimeException | LinkageError e) {
            why = "no usable OpenCL device: " + e.getMessage();
            System.out.println("[nn opencl parity] SKIPPED: " + why);
        }
        String reason = why;
        Assumptions.assumeTrue(cl != null, () -> reason);
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), DType.FLOAT32, shape);
    }

    private static final Tensor PAD = Tensor.of(NDArray.of(new int[] {0, 0, 1, 1, 0, 0, 0, 0}, 2, 4));

    /** Runs f on the CPU, moves the module and inputs to OpenCL, runs again, compares values and gradients. */
    private static void parity(String name, Module m, BiFunction<Params, List<Tensor>, Tensor> f, Tensor... inputs) {
        List<Tensor> cpuIn = new ArrayList<>();
        for (Tensor t : inputs) cpuIn.add(t.dtype().isFloating() ? t.requiresGrad(true) : t);
        Result cpu = run(m, f, cpuIn);
        m.to(cl);
        List<Tensor> clIn = new ArrayList<>();
        for (Tensor t : inputs) clIn.add(t.dtype().isFloating() ? t.to(cl).requiresGrad(true) : t.to(cl));
        Result dev = run(m, f, clIn, cpu.cot.to(cl));
        assertEquals(cl, dev.out.device(), name + ": the output left the device");
        Check.close(name + " forward", cpu.out, dev.out.to(Device.cpu()), 2e-5, 2e-4);
        for (int i = 0; i < cpu.grads.size(); i++)
            Check.close(name + " gradient " + i, cpu.grads.get(i), dev.grads.get(i).to(Device.cpu()), 5e-5, 1e-3);
        for (String b : m.buffers().names())
            assertEquals(cl, m.buffers().get(b).device(), name + ": buffer " + b + " is not on the device");
    }

    private record Result(Tensor out, Tensor cot, List<Tensor> grads) {}

    private static Result run(Module m, BiFunction<Params, List<Tensor>, Tensor> f, List<Tensor> in) {
        return run(m, f, in, null);
    }

    private static Result run(Module m, BiFunction<Params, List<Tensor>, Tensor> f, List<Tensor> in, Tensor cot) {
        Params p = m.params();
        Tensor y = f.apply(p, in);
        Tensor c = cot != null ? cot : Tensor.of(new Rng(99).normal(0, 1, y.dtype(), y.device(), y.shape()));
        List<Tensor> wrt = new ArrayList<>();
        for (Tensor t : in) if (t.requiresGrad()) wrt.add(t);
        wrt.addAll(p.values());
        List<Tensor> g = Autograd.grad(List.of(y), wrt, List.of(c), false, false, false);
        return new Result(y, c, g);
    }

    private static void parity(String name, Module m, Tensor x) {
        parity(name, m, (p, in) -> m.apply(p, in.get(0)), x);
    }

    @Test
    void linearActivationsFlatten() {
        parity("linear", new Linear(6, 5, new Rng(1)), randn(1, 3, 2, 6));
        for (Activation a : List.of(Activation.relu(), Activation.gelu(), Activation.geluTanh(), Activation.silu(), Activation.tanh(),
                Activation.sigmoid(), Activation.softmax(-1), Activation.logSoftmax(1)))
            parity(a.toString(), a, randn(2, 4, 7));
        parity("flatten", new Sequential(new Flatten(), new Linear(12, 2, new Rng(2))), randn(3, 2, 3, 4));
    }

    @Test
    void convolutionAndPooling() {
        parity("conv", new Conv2d(3, 4, 3, 3, new Conv2dSpec(2, 1, 1, 0, 1, 2, 1), true, new Rng(3)), randn(4, 2, 3, 7, 8));
        parity("conv groups", new Conv2d(4, 6, 3, 3, Conv2dSpec.of(1, 1, 1, 2), true, new Rng(4)), randn(5, 2, 4, 5, 5));
        Conv2d tapped = new Conv2d(3, 4, 3, 3, Conv2dSpec.of(2, 1), true, new Rng(5));
        parity("conv tapped", tapped, (p, in) -> tapped.applyTapped(p, in.get(0)).output(), randn(6, 2, 3, 6, 6));
        parity("maxpool", new MaxPool2d(3, 2, 1), randn(7, 2, 3, 7, 7));
        parity("avgpool", new AvgPool2d(2), randn(8, 2, 3, 6, 6));
        parity("adaptive", new AdaptiveAvgPool2d(3, 2), randn(9, 2, 3, 7, 5));
        parity("adaptive even", new AdaptiveAvgPool2d(1), randn(10, 2, 3, 4, 4));
    }

    @Test
    void normalizationEmbeddingDropout() {
        BatchNorm2d bn = new BatchNorm2d(3);
        parity("batchnorm2d train", bn, (p, in) -> bn.applyWithBuffers(p, bn.buffers(), in.get(0)).output(), randn(11, 4, 3, 3, 3));
        BatchNorm1d bn1 = new BatchNorm1d(5);
        bn1.forward(randn(12, 8, 5).mul(2).add(1));
        bn1.eval();
        parity("batchnorm1d eval", bn1, randn(13, 6, 5));
        parity("layernorm", new LayerNorm(6), randn(14, 2, 3, 6));
        parity("rmsnorm", new RMSNorm(6), randn(15, 2, 3, 6));
        Embedding e = new Embedding(9, 4, new Rng(16));
        Tensor idx = Tensor.of(NDArray.of(new int[] {1, 8, 1, 0, 3, 3}, 2, 3));
        parity("embedding", e, (p, in) -> e.apply(p, in.get(0)), idx);
        Dropout d = new Dropout(0.3, new Rng(17));
        Dropout twin = new Dropout(0.3, new Rng(17));
        Tensor x = randn(18, 5, 8);
        Check.close("dropout masks", d.forward(x), twin.forward(x.to(cl)).to(Device.cpu()), 1e-6, 1e-6);
    }

    @Test
    void attentionAndTransformerLayers() {
        MultiheadAttention self = new MultiheadAttention(8, 2, new Rng(19));
        parity("attention causal padded", self, (p, in) -> self.apply(p, in.get(0), null, PAD, true), randn(20, 2, 4, 8));
        MultiheadAttention cross = new MultiheadAttention(8, 2, new Rng(21));
        parity("cross attention", cross, (p, in) -> cross.apply(p, in.get(0), in.get(1), PAD, false), randn(22, 2, 3, 8), randn(23, 2, 4, 8));
        TransformerEncoderLayer enc = new TransformerEncoderLayer(8, 2, 16, 0.0, Activation.gelu(), true, false, new Rng(24));
        parity("encoder", enc, (p, in) -> enc.apply(p, in.get(0), PAD, true), randn(25, 2, 4, 8));
        TransformerDecoderLayer dec = new TransformerDecoderLayer(8, 2, 16, 0.0, Activation.relu(), false, new Rng(26));
        parity("decoder", dec, (p, in) -> dec.apply(p, in.get(0), in.get(1), null, PAD, true), randn(27, 2, 3, 8), randn(28, 2, 4, 8));
        parity("positional", new Sequential(new SinusoidalPositionalEncoding(6, 8), new LearnedPositionalEncoding(6, 8, new Rng(29))), randn(30, 2, 4, 8));
        ResidualBlock block = new ResidualBlock(2, 4, 2, new Rng(31));
        parity("residual block", block, (p, in) -> block.applyWithBuffers(p, block.buffers(), in.get(0)).output(), randn(32, 2, 2, 6, 6));
    }

    @Test
    void losses() {
        Tensor labels = Tensor.of(NDArray.of(new int[] {1, 0, 3, 3, 2}, 5));
        Module none = new FixtureHarness.Fn();
        Tensor t = randn(33, 5, 4);
        parity("cross-entropy", none, (p, in) -> Losses.crossEntropy(in.get(0), in.get(1), 0.1, 3), randn(34, 5, 4), labels);
        parity("nll", none, (p, in) -> Losses.nll(in.get(0).logSoftmax(1), in.get(1)), randn(35, 5, 4), labels);
        parity("mse", none, (p, in) -> Losses.mse(in.get(0), in.get(1)), randn(36, 5, 4), t);
        parity("l1", none, (p, in) -> Losses.l1(in.get(0), in.get(1)), randn(37, 5, 4), t);
        parity("huber", none, (p, in) -> Losses.huber(in.get(0), in.get(1), 0.5), randn(38, 5, 4), t);
        parity("bce", none, (p, in) -> Losses.bceWithLogits(in.get(0), in.get(1).sigmoid()), randn(39, 5, 4), t);
        parity("kl", none, (p, in) -> Losses.klDivLogits(in.get(1), in.get(0)), randn(40, 5, 4), t);
    }
}
