package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Worked examples with closed-form answers; the property suites in `tests` cover every op. */
class AutogradSmokeTest {
    private static Tensor f64(double... v) {
        return Tensor.of(NDArray.of(v));
    }

    @Test
    void gradientOfCubeAndItsSecondDerivative() {
        Tensor x = f64(2.0).requiresGrad(true);
        Tensor y = x.mul(x).mul(x).sum();
        Tensor dy = Autograd.grad(y, List.of(x), true).get(0);
        assertEquals(12.0, dy.item(), 1e-12);
        Tensor d2y = Autograd.grad(dy.sum(), x);
        assertEquals(12.0, d2y.item(), 1e-12); // 6x at x = 2
    }

    @Test
    void backwardAccumulatesIntoLeavesThroughBroadcast() {
        Tensor w = Tensor.of(NDArray.of(new double[] {1, 2, 3}, 3)).requiresGrad(true);
        Tensor x = Tensor.of(NDArray.of(new double[] {1, 1, 1, 2, 2, 2}, 2, 3));
        x.mul(w).sum().backward();
        assertArrayEquals(new double[] {3, 3, 3}, w.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void gradCheckOfAComposite() {
        Rng rng = new Rng(7);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 3, 4);
        GradCheck.check(t -> t.tanh().matmul(t.mT()).softmax(1).log().sum(), x);
        GradCheck.checkSecondOrder(t -> t.tanh().matmul(t.mT()).softmax(1).log().sum(), x);
    }

    @Test
    void freedGraphIsAClearError() {
        Tensor x = f64(1, 2).requiresGrad(true);
        Tensor y = x.exp().sum();
        y.backward();
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
    }
}
