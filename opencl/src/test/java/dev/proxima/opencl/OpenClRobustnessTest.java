package dev.proxima.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Use after close is an error naming the array; to(Device) carries gradients across devices. */
class OpenClRobustnessTest {
    private OpenClBackend backend;

    @BeforeEach
    void device() {
        backend = OpenClAvailable.assume();
    }

    @Test
    void everyUseOfAClosedStorageRaisesNamingTheArray() {
        Rng rng = new Rng(3);
        for (int[] shape : new int[][] {{5}, {3, 4}, {2, 3, 4}}) {
            NDArray x = NDArray.rand(rng, DType.FLOAT32, shape).to(Device.opencl());
            NDArray other = NDArray.rand(rng, DType.FLOAT32, shape).to(Device.opencl());
            ((ClStorage) x.storage()).close();
            ((ClStorage) x.storage()).close(); // idempotent
            List<Executable> uses = List.of(x::toFloatArray, x::exp, () -> x.add(other), () -> other.mul(x), x::sum,
                    () -> x.reshape(-1).toDoubleArray(), () -> x.permute(reversed(shape.length)).contiguous().toFloatArray(), () -> x.to(Device.cpu()));
            for (Executable use : uses) {
                IllegalStateException e = assertThrows(IllegalStateException.class, use);
                String m = e.getMessage();
                assertTrue(m.contains("closed") && m.contains("shape [") && m.contains("float32") && m.contains("opencl:0"), m);
            }
            assertEquals(shape.length, other.exp().ndim()); // others are unaffected
        }
    }

    private static int[] reversed(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = n - 1 - i;
        return p;
    }

    @Test
    void toDeviceIsDifferentiableBothWays() {
        DType dt = backend.supportsFloat64() ? DType.FLOAT64 : DType.FLOAT32;
        GradCheck.Options o = dt == DType.FLOAT64 ? GradCheck.Options.defaults() : new GradCheck.Options(1e-2, 5e-2, 5e-2, 1234);
        Rng rng = new Rng(11);
        Tensor cpuX = Tensor.of(rng.normal(0, 1, dt, Device.cpu(), 3, 4));
        // CPU -> OpenCL -> CPU, first and second order, checked on the CPU input.
        Function<List<Tensor>, Tensor> f = v -> v.get(0).to(Device.opencl()).tanh().square().to(Device.cpu()).sum();
        GradCheck.check(f, List.of(cpuX), o);
        GradCheck.checkSecondOrder(f, List.of(cpuX), o);
        // The gradient lands on the source device.
        Tensor leaf = cpuX.requiresGrad(true);
        Tensor g = Autograd.grad(leaf.to(Device.opencl()).square().sum(), leaf);
        assertEquals(Device.cpu(), g.device());
        double[] x = cpuX.toDoubleArray(), gv = g.toDoubleArray();
        for (int i = 0; i < x.length; i++) assertEquals(2 * x[i], gv[i], 1e-5 * (1 + Math.abs(x[i])));
        // And from OpenCL to the CPU.
        Tensor clLeaf = Tensor.of(rng.normal(0, 1, dt, Device.opencl(), 2, 3)).requiresGrad(true);
        Tensor gc = Autograd.grad(clLeaf.to(Device.cpu()).mul(3).sum(), clLeaf);
        assertEquals(Device.opencl(), gc.device());
        for (double v : gc.toDoubleArray()) assertEquals(3, v, 1e-6);
        assertArrayEquals(new int[] {2, 3}, gc.shape());
    }
}
