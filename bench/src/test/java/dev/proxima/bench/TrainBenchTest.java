package dev.proxima.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** {@code bench train} times the library's step: it is plain SGD at {@link TrainBench#LR}, and it trains. */
class TrainBenchTest {

    @Test
    void theTimedStepIsPlainSgdAndTrains() {
        Tensor x = Tensor.randn(new Rng(3), 16, 8);
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 3;
        Tensor y = Tensor.of(NDArray.of(labels, labels.length));
        Module timed = Models.mlp(0, 8, 16, 3), byHand = Models.mlp(0, 8, 16, 3);
        Supplier<Object> step = TrainBench.sgdStep(timed, Losses::crossEntropy, x, y);
        Params p = byHand.params().detach();
        double first = Double.NaN, last = Double.NaN;
        for (int s = 0; s < 20; s++) {
            double loss = (Double) step.get();
            // θ − lr·g, written out: what PyTorch's SGD.step() does on the peer's side.
            Autograd.ValueAndGrad vg = Autograd.valueAndGrad(q -> Losses.crossEntropy(byHand.apply(q, x), y), p);
            try (var off = Autograd.noGrad()) {
                p = p.zip(vg.grads(), (w, g) -> w.sub(g.mul(TrainBench.LR))).detach();
            }
            assertTrue(Math.abs(loss - vg.loss()) <= 1e-6 * Math.abs(loss), "step " + s + ": " + loss + " vs " + vg.loss());
            if (s == 0) first = loss;
            last = loss;
        }
        assertTrue(last < first, "20 steps of SGD lower the loss: " + first + " -> " + last);
    }
}
