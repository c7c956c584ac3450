package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.testkit.Gen;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Misuse gives a clear error naming the problem and the shapes; anomaly mode names the op. */
class ErrorsTest {
    private static Tensor leaf(int... shape) {
        return GradInputs.f64(Gen.uniform(new SplittableRandom(1), GradInputs.size(shape), 0.5, 1.5), shape).requiresGrad(true);
    }

    private static void assertMentions(Throwable e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
    }

    @Test
    void backwardThroughAFreedGraph() {
        Tensor x = leaf(2, 3);
        Tensor y = x.exp().sum();
        y.backward();
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertMentions(e, "freed", "retainGraph");
        // A second pass through a shared intermediate is caught too, naming that op.
        Tensor h = x.tanh();
        h.sum().backward();
        var e2 = assertThrows(IllegalStateException.class, () -> h.mul(2.0).sum().backward());
        assertMentions(e2, "freed", "tanh");
        // retainGraph keeps it.
        Tensor z = x.sin().sum();
        z.backward(true);
        z.backward();
    }

    @Test
    void nonScalarOutputWithoutASeed() {
        Tensor y = leaf(2, 3).mul(2.0);
        var e = assertThrows(IllegalArgumentException.class, y::backward);
        assertMentions(e, "[2, 3]", "scalar", "seed");
        Tensor x = leaf(4);
        var e2 = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(x.exp(), x));
        assertMentions(e2, "[4]", "scalar", "seed");
    }

    @Test
    void integerTensorsCannotRequireGradients() {
        Tensor idx = Tensor.of(NDArray.of(new int[] {1, 2, 3, 4}, 2, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> idx.requiresGrad(true));
        assertMentions(e, DType.INT32.toString(), "[2, 2]", "gradients");
    }

    @Test
    void gradientWithRespectToAnInputThatDoesNotRequireIt() {
        Tensor x = leaf(3), c = GradInputs.f64(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y = x.mul(c).sum();
        var e = assertThrows(IllegalArgumentException.class,
                () -> Autograd.grad(List.of(y), List.of(x, c), null, false, false, false));
        assertMentions(e, "[2, 3]", "does not require gradients");
    }

    @Test
    void seedShapeMismatch() {
        Tensor x = leaf(2, 3);
        Tensor y = x.square();
        Tensor seed = GradInputs.f64(new double[] {1, 1, 1}, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> y.backward(seed, false));
        assertMentions(e, "seed", "[3]", "[2, 3]");
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Autograd.grad(List.of(y), List.of(x), List.of(seed), false, false, false));
        assertMentions(e2, "[3]", "[2, 3]");
    }

    @Test
    void anomalyModeNamesTheForwardOpThatMadeANaN() {
        Tensor x = GradInputs.f64(new double[] {1, -1}, 2).requiresGrad(true);
        try (var a = Autograd.detectAnomaly()) {
            var e = assertThrows(ArithmeticException.class, () -> x.mul(2.0).log());
            assertMentions(e, "forward", "'log'", "NaN", "[2]");
        }
        // Outside the scope the NaN passes silently, as in PyTorch.
        assertTrue(Double.isNaN(x.log().toDoubleArray()[1]));
    }

    @Test
    void anomalyModeNamesTheBackwardOpThatMadeANaN() {
        // sqrt(0) * 0 is 0 going forward, but sqrt's rule divides the zero cotangent by 2·sqrt(0).
        Tensor x = GradInputs.f64(new double[] {0, 4}, 2).requiresGrad(true);
        Tensor zero = GradInputs.f64(new double[] {0, 1}, 2);
        try (var a = Autograd.detectAnomaly()) {
            Tensor y = x.sqrt().mul(zero).sum();
            var e = assertThrows(ArithmeticException.class, y::backward);
            assertMentions(e, "backward", "'sqrt'", "NaN", "ErrorsTest");
        }
        Tensor y = x.sqrt().mul(zero).sum();
        assertTrue(Double.isNaN(Autograd.grad(y, x).toDoubleArray()[0]));
    }

    @Test
    void anomalyModeDoesNotFlagNonFiniteIntermediatesThatARuleMasksAway() {
        // pow's exponent rule computes log(a), -inf at a = 0, then replaces it by 0 there.
        Tensor a = GradInputs.f64(new double[] {0, 2}, 2).requiresGrad(true), b = GradInputs.f64(new double[] {2, 3}, 2).requiresGrad(true);
        try (var an = Autograd.detectAnomaly()) {
            List<Tensor> g = Autograd.grad(List.of(a.pow(b).sum()), List.of(a, b), null, false, false, false);
            assertTrue(Double.isFinite(g.get(1).toDoubleArray()[0]));
            // Also when the backward pass is recorded (createGraph).
            Tensor gb = Autograd.grad(a.pow(b).sum(), List.of(b), true).get(0);
            assertTrue(Double.isFinite(gb.toDoubleArray()[0]));
        }
    }
}
