package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoLr;
import dev.proxima.optim.apo.ApoPrecond;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * APO runs on the OpenCL device unchanged: the same program, given OpenCL tensors, learns the
 * same rates and parameters as on the CPU (float32, within rounding). Reported as skipped,
 * with the reason, where there is no OpenCL device.
 */
class ApoOpenClParityTest {
    private static String unavailable;

    @BeforeAll
    static void probe() {
        try {
            Device.opencl().backend();
        } catch (RuntimeException | LinkageError e) {
            unavailable = "no usable OpenCL device: " + e.getMessage();
            System.out.println("[ApoOpenClParityTest] SKIPPED: " + unavailable);
        }
    }

    private static final BiFunction<Params, Tensor, Tensor> MLP = (p, x) -> {
        Tensor h = x.matmul(p.get("0.weight").mT()).add(p.get("0.bias")).tanh();
        return h.matmul(p.get("1.weight").mT()).add(p.get("1.bias"));
    };
    private static final BiFunction<Tensor, Tensor, Tensor> CROSS_ENTROPY =
            (logits, oneHot) -> logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}, false).mean().neg();

    private record Run(List<Map<String, Double>> rates, Params params) {}

    private static Run train(String variant, Device device) {
        Rng rng = new Rng(21);
        Function<Tensor, Tensor> on = t -> t.to(device);
        Params theta = Params.of("0.weight", Tensor.randn(rng, 8, 5).mul(0.4), "0.bias", Tensor.zeros(8),
                "1.weight", Tensor.randn(rng, 3, 8).mul(0.4), "1.bias", Tensor.zeros(3)).map(on);
        int[] labels = new int[32];
        for (int i = 0; i < labels.length; i++) labels[i] = rng.nextInt(3);
        Tensor x = on.apply(Tensor.randn(rng, 32, 5));
        Tensor y = on.apply(Tensor.oneHot(Tensor.of(NDArray.of(labels, labels.length)), 3, DType.FLOAT32));
        ApoConfig config = ApoConfig.builder().metaInterval(2).lambdaWsd(0.1).divergence(Divergence.KL).initialLr(0.05).build();
        ApoRule<?> rule = variant.equals("lr")
                ? ApoLr.over(Sgd.builder().lr(1).momentum(0.9).build(), config) : new ApoPrecond(config);
        Apo<?> apo = new Apo<>(rule, MLP, CROSS_ENTROPY, theta, config);
        List<Map<String, Double>> rates = new ArrayList<>();
        apo.addListener(s -> rates.add(s.learningRates()));
        Tensor half = x.slice(0, 0, 16), rest = x.slice(0, 16, 32), yHalf = y.slice(0, 0, 16);
        for (int t = 0; t < 12; t++) apo.step(half, yHalf, rest);
        for (Tensor p : apo.params().values()) assertEquals(device, p.device(), "a parameter left " + device);
        for (Tensor p : apo.meta().values()) assertEquals(device, p.device(), "a meta-parameter left " + device);
        return new Run(rates, apo.params().map(t -> t.to(Device.cpu())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lr", "precond"})
    void openClFollowsCpu(String variant) {
        Assumptions.assumeTrue(unavailable == null, () -> unavailable);
        Run cpu = train(variant, Device.cpu()), gpu = train(variant, Device.opencl());
        for (int t = 0; t < cpu.rates().size(); t++)
            assertEquals(cpu.rates().get(t).get("global"), gpu.rates().get(t).get("global"), 1e-4 * cpu.rates().get(t).get("global"),
                    "learned rate at step " + t);
        for (String name : cpu.params().names()) {
            float[] a = cpu.params().get(name).toFloatArray(), b = gpu.params().get(name).toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * (1 + Math.abs(a[i])), name + "[" + i + "]");
        }
    }
}
