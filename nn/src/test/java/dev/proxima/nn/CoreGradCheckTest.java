package dev.proxima.nn;

import static dev.proxima.nn.ModuleGradCheck.randn;

import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.functional.Losses;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Order-1 and order-2 finite-difference checks for Linear, Sequential, activations and losses. */
class CoreGradCheckTest {

    @Property(tries = 6)
    void linearOverRandomShapes(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 4) int in,
                                @ForAll @IntRange(min = 1, max = 3) int out, @ForAll boolean bias) {
        ModuleGradCheck.check(new Linear(in, out, bias, new Rng(rows * 31 + in)), randn(rows, rows, in));
    }

    @Test
    void linearWithLeadingAxes() {
        ModuleGradCheck.check(new Linear(3, 2, new Rng(2)), randn(3, 2, 2, 3));
    }

    @Test
    void sequentialMlpWithEveryActivation() {
        Rng rng = new Rng(5);
        Sequential net = new Sequential(new Linear(3, 4, rng), Activation.tanh(), new Linear(4, 4, rng), Activation.gelu(),
                new Linear(4, 4, rng), Activation.silu(), new Linear(4, 3, rng), Activation.sigmoid(), new Linear(3, 3, rng),
                Activation.softmax(-1));
        ModuleGradCheck.check(net, randn(6, 2, 3));
    }

    @Test
    void reluAndFlatten() {
        // Away from the kink: values bounded away from 0.
        Tensor x = randn(7, 2, 3, 2);
        Tensor shifted = Tensor.where(x.gt(0), x.add(0.1), x.sub(0.1));
        ModuleGradCheck.check(new Sequential(new ReLU(), new Flatten(), new Linear(6, 2, new Rng(1))), shifted);
    }

    @Test
    void lossesOrderOneAndTwo() {
        Tensor p = randn(11, 4, 3), t = randn(12, 4, 3);
        Tensor far = p.add(Tensor.where(p.sub(t).abs().lt(0.05), p.mul(0).add(0.2), p.mul(0))); // keep |p - t| off L1's kink
        checkBoth(q -> Losses.mse(q, t), p);
        checkBoth(q -> Losses.l1(q, t), far);
        checkBoth(q -> Losses.huber(q, t, 0.8), far);
        Tensor labels = Tensor.of(NDArray.of(new int[] {2, 0, 1, 2}, 4));
        checkBoth(z -> Losses.crossEntropy(z, labels), p);
        checkBoth(z -> Losses.crossEntropy(z, labels, 0.1, 0), p);
        checkBoth(z -> Losses.nll(z.logSoftmax(1), labels), p);
        checkBoth(z -> Losses.bceWithLogits(z, t.sigmoid()), p);
        checkBoth(z -> Losses.klDivLogits(t, z), p);
        checkBoth(z -> Losses.klDiv(z.logSoftmax(1), t.softmax(1), false), p);
        checkBoth(z -> Losses.klDiv(z.logSoftmax(1), t.logSoftmax(1), true), p);
    }

    private static void checkBoth(java.util.function.Function<Tensor, Tensor> f, Tensor x) {
        GradCheck.Options o = new GradCheck.Options(1e-6, 1e-6, 1e-4, 3);
        GradCheck.check(xs -> f.apply(xs.get(0)), List.of(x), o);
        GradCheck.checkSecondOrder(xs -> f.apply(xs.get(0)), List.of(x), o);
    }
}
