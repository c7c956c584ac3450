package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's example, kept compiling and checked against the chain rule by hand. */
class ReadmeExampleTest {
    @Test
    void metaGradientOfTheLearningRateMatchesTheChainRule() {
        Rng rng = new Rng(42);
        Tensor x = Tensor.randn(rng, 64, 3);
        Tensor y = x.matmul(Tensor.of(new float[] {1, -2, 0.5f}, 3, 1));
        Tensor w = Tensor.zeros(3, 1).requiresGrad(true);
        Tensor lr = Tensor.scalar(0.1).requiresGrad(true);

        Tensor loss0 = x.matmul(w).sub(y).square().mean();
        Tensor g = Autograd.grad(loss0, List.of(w), true).get(0);
        Tensor w1 = w.sub(g.mul(lr));
        Tensor loss1 = x.matmul(w1).sub(y).square().mean();
        Tensor dLossDlr = Autograd.grad(loss1, lr);

        // d loss1 / d lr = <dL/dw at w1, -g>
        Tensor w1Leaf = w1.detach().requiresGrad(true);
        Tensor gradAtW1 = Autograd.grad(x.matmul(w1Leaf).sub(y).square().mean(), w1Leaf);
        double expected = -gradAtW1.mul(g.detach()).sum().item();
        assertEquals(expected, dLossDlr.item(), 1e-4 * Math.max(1, Math.abs(expected)));
    }
}
