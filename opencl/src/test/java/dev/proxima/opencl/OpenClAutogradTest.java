package dev.proxima.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Autograd programs run on OpenCL unchanged: gradients (first and second order) against
 * finite differences on OpenCL tensors, and a small MLP whose SGD loss curve follows the
 * CPU's.
 */
class OpenClAutogradTest {
    private OpenClBackend backend;

    @BeforeEach
    void device() {
        backend = OpenClAvailable.assume();
    }

    private DType checkType() {
        return backend.supportsFloat64() ? DType.FLOAT64 : DType.FLOAT32;
    }

    private GradCheck.Options options() {
        // float32 finite differences are noisy: a larger step and looser tolerances.
        return checkType() == DType.FLOAT64 ? GradCheck.Options.defaults() : new GradCheck.Options(1e-2, 5e-2, 5e-2, 1234);
    }

    private Tensor randn(Rng rng, int... shape) {
        return Tensor.of(rng.normal(0, 1, checkType(), Device.opencl(), shape));
    }

    private void check(String what, Function<List<Tensor>, Tensor> f, Tensor... xs) {
        List<Tensor> in = List.of(xs);
        for (Tensor x : xs) assertEquals(Device.opencl(), x.device(), what);
        Tensor y = f.apply(in);
        assertEquals(Device.opencl(), y.device(), what + ": output left the device");
        GradCheck.check(f, in, options());
    }

    @Test
    void firstOrderGradientsOfComposedPrograms() {
        Rng rng = new Rng(7);
        Tensor x = randn(rng, 3, 4), w = randn(rng, 4, 5), b = randn(rng, 5);
        check("mlp layer", v -> v.get(0).matmul(v.get(1)).add(v.get(2)).tanh().square().mean(), x, w, b);
        check("logSoftmax", v -> v.get(0).logSoftmax(1).mul(v.get(0).sigmoid()).sum(), x);
        check("softmax over axis 0", v -> v.get(0).softmax(0).mul(v.get(0)).sum(), x);
        check("elementwise mix", v -> v.get(0).exp().div(v.get(0).square().add(1.0)).add(v.get(0).gelu()).sum(new int[] {1}, false), x);
        check("transposed matmul and max", v -> v.get(0).mT().matmul(v.get(0)).max(new int[] {0}, false).sum(), x);
        Tensor index = Tensor.of(NDArray.of(new int[] {0, 3, 3, 1, 2, 0}, 3, 2).to(Device.opencl()));
        check("gather", v -> v.get(0).gather(1, index).square().sum(), x);
        check("scatterAdd", v -> v.get(0).scatterAdd(1, index, v.get(1).slice(1, 0, 2)).softplus().sum(), x, w.slice(0, 0, 3));
    }

    @Test
    void secondOrderGradients() {
        Rng rng = new Rng(11);
        Tensor x = randn(rng, 2, 3), w = randn(rng, 3, 3);
        GradCheck.checkSecondOrder(v -> v.get(0).matmul(v.get(1)).tanh().mul(v.get(0).sin()).sum(), List.of(x, w), options());
        GradCheck.checkSecondOrder(v -> v.get(0).logSoftmax(1).square().sum(), List.of(x), options());
        // Hessian-vector product on the device: the result stays there.
        Tensor hv = Autograd.hvp(t -> t.exp().sum().mul(t.square().sum()), x, randn(rng, 2, 3));
        assertEquals(Device.opencl(), hv.device());
    }

    /** Two-layer MLP, plain SGD, synthetic 3-class data; float32 on both devices. */
    private static List<Double> train(Device device, int steps) {
        Rng rng = new Rng(2024);
        int n = 64, in = 8, hidden = 32, classes = 3;
        NDArray xs = rng.normal(0, 1, DType.FLOAT32, Device.cpu(), n, in);
        NDArray proj = rng.normal(0, 1, DType.FLOAT32, Device.cpu(), in, classes);
        NDArray labels = xs.matmul(proj).argmax(1, true); // learnable labels: a linear rule
        Tensor x = Tensor.of(xs.to(device)), y = Tensor.of(labels.to(device));
        Tensor w1 = Tensor.of(rng.normal(0, 0.3, DType.FLOAT32, Device.cpu(), in, hidden).to(device)).requiresGrad(true);
        Tensor b1 = Tensor.of(NDArray.zeros(DType.FLOAT32, device, hidden)).requiresGrad(true);
        Tensor w2 = Tensor.of(rng.normal(0, 0.3, DType.FLOAT32, Device.cpu(), hidden, classes).to(device)).requiresGrad(true);
        Tensor b2 = Tensor.of(NDArray.zeros(DType.FLOAT32, device, classes)).requiresGrad(true);
        List<Double> losses = new ArrayList<>();
        double lr = 0.2;
        for (int step = 0; step < steps; step++) {
            List<Tensor> params = List.of(w1, b1, w2, b2);
            Tensor logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
            Tensor loss = logits.logSoftmax(1).gather(1, y).mean().neg();
            List<Tensor> grads = Autograd.grad(loss, params, false);
            losses.add(loss.item());
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                assertEquals(device, grads.get(i).device(), "gradient left the device");
                next.add(Tensor.of(params.get(i).data().sub(grads.get(i).data().mul(lr))).requiresGrad(true));
            }
            w1 = next.get(0); b1 = next.get(1); w2 = next.get(2); b2 = next.get(3);
        }
        return losses;
    }

    @Test
    void mlpLossCurveFollowsTheCpu() {
        int steps = 60;
        List<Double> cpu = train(Device.cpu(), steps), cl = train(Device.opencl(), steps);
        for (int i = 0; i < steps; i++)
            assertEquals(cpu.get(i), cl.get(i), 1e-3 * Math.max(1, Math.abs(cpu.get(i))),
                    "loss at step " + i + ": cpu " + cpu + "\nopencl " + cl);
        assertTrue(cl.get(steps - 1) < 0.5 * cl.get(0), "training did not reduce the loss: " + cl);
    }
}
