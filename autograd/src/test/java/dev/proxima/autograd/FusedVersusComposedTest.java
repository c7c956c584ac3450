package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The fused softmax kernels and their rules agree with the same functions composed from primitives. */
class FusedVersusComposedTest {

    private static Tensor composedSoftmax(Tensor x, int axis) {
        Tensor shifted = x.sub(x.max(new int[] {axis}, true).detach());
        Tensor e = shifted.exp();
        return e.div(e.sum(new int[] {axis}, true));
    }

    private static Tensor composedLogSoftmax(Tensor x, int axis) {
        return x.sub(x.logsumexp(new int[] {axis}, true));
    }

    @Property(tries = 40)
    void softmaxAndLogSoftmaxMatchTheirCompositions(@ForAll long seed, @ForAll @IntRange(min = 1, max = 5) int rows,
                                                    @ForAll @IntRange(min = 1, max = 7) int cols, @ForAll @IntRange(min = 0, max = 1) int axis) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, rows, cols).mul(3).requiresGrad(true);
        Tensor c = Tensor.randn(rng, DType.FLOAT64, rows, cols);
        assertClose(x.softmax(axis), composedSoftmax(x, axis));
        assertClose(x.logSoftmax(axis), composedLogSoftmax(x, axis));
        // Gradients (with createGraph) and second-order gradients agree as well.
        Tensor g1 = Autograd.grad(x.softmax(axis).mul(c).sum(), List.of(x), true).get(0);
        Tensor g2 = Autograd.grad(composedSoftmax(x, axis).mul(c).sum(), List.of(x), true).get(0);
        assertClose(g1, g2);
        assertClose(Autograd.grad(g1.square().sum(), x), Autograd.grad(g2.square().sum(), x));
        Tensor h1 = Autograd.grad(x.logSoftmax(axis).mul(c).sum(), List.of(x), true).get(0);
        Tensor h2 = Autograd.grad(composedLogSoftmax(x, axis).mul(c).sum(), List.of(x), true).get(0);
        assertClose(h1, h2);
        assertClose(Autograd.grad(h1.square().sum(), x), Autograd.grad(h2.square().sum(), x));
    }

    private static void assertClose(Tensor a, Tensor b) {
        assertTrue(a.data().allClose(b.data(), 1e-9, 1e-12), () -> a + " vs " + b);
    }
}
