package dev.proxima.nn;

import static dev.proxima.nn.ModuleGradCheck.randn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Order-1 and order-2 finite-difference checks (float64) of conv, pooling, norms, embedding and the residual block. */
class LayerGradCheckTest {

    @Property(tries = 5)
    void conv2dWithStridePaddingDilationGroups(@ForAll @IntRange(min = 1, max = 2) int stride, @ForAll @IntRange(min = 0, max = 1) int pad,
                                               @ForAll @IntRange(min = 1, max = 2) int dilation, @ForAll @IntRange(min = 1, max = 2) int groups,
                                               @ForAll boolean bias) {
        Conv2d c = new Conv2d(2 * groups, 2 * groups, 2, 3, new Conv2dSpec(stride, stride, pad, pad, dilation, dilation, groups), bias, new Rng(stride + 7L * groups));
        ModuleGradCheck.check(c, randn(stride + pad, 1, 2 * groups, 5, 6));
    }

    @Test
    void conv2dTappedPath() {
        Conv2d c = new Conv2d(2, 3, 3, 3, Conv2dSpec.of(2, 1), true, new Rng(3));
        ModuleGradCheck.checkWith(c, List.of(randn(4, 2, 2, 5, 5)), (p, in) -> c.applyTapped(p, in.get(0)).output());
    }

    @Test
    void pooling() {
        Tensor x = distinct(2, 2, 6, 5);
        ModuleGradCheck.check(new MaxPool2d(2), x);
        ModuleGradCheck.check(new MaxPool2d(3, 2, 1), x);
        ModuleGradCheck.check(new AvgPool2d(3, 2, 1), x);
        ModuleGradCheck.check(new AdaptiveAvgPool2d(4, 3), x);
        ModuleGradCheck.check(new AdaptiveAvgPool2d(3, 5), x);
    }

    /** Values 0.1 apart in random order, so no max-pool window has a near tie. */
    private static Tensor distinct(int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        int[] perm = new Rng(n).permutation(n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = perm[i] * 0.1;
        return Tensor.of(NDArray.of(v, shape));
    }

    @Test
    void batchNormTrainingAndEval() {
        BatchNorm1d b1 = new BatchNorm1d(3);
        ModuleGradCheck.check(b1, randn(1, 5, 3));
        ModuleGradCheck.check(new BatchNorm1d(2), randn(2, 3, 2, 4));
        BatchNorm2d b2 = new BatchNorm2d(2);
        ModuleGradCheck.check(b2, randn(3, 3, 2, 2, 3));
        b2.forward(randn(4, 3, 2, 2, 3).to(dev.proxima.tensor.DType.FLOAT32));
        b2.eval();
        ModuleGradCheck.check(b2, randn(5, 3, 2, 2, 3));
    }

    @Test
    void layerNormRmsNorm() {
        ModuleGradCheck.check(new LayerNorm(4), randn(1, 3, 4));
        ModuleGradCheck.check(new LayerNorm(2, 3), randn(2, 2, 2, 3));
        ModuleGradCheck.check(new RMSNorm(4), randn(3, 2, 3, 4));
    }

    @Test
    void embeddingWithRepeatedIndices() {
        Embedding e = new Embedding(5, 3, new Rng(1));
        Tensor idx = Tensor.of(NDArray.of(new int[] {1, 4, 1, 0, 4, 4}, 2, 3));
        ModuleGradCheck.checkWith(e, List.of(), (p, in) -> e.apply(p, idx).tanh());
    }

    @Test
    void residualBlock() {
        ModuleGradCheck.check(new ResidualBlock(2, 2, 2, new Rng(4)), randn(6, 1, 2, 4, 4));
    }

    @Test
    void sequentialCnn() {
        Rng rng = new Rng(9);
        Sequential cnn = new Sequential(new Conv2d(1, 2, 3, 1, 1, rng), new BatchNorm2d(2), Activation.tanh(), new AvgPool2d(2),
                new Flatten(), new Linear(8, 3, rng));
        ModuleGradCheck.check(cnn, randn(8, 2, 1, 4, 4));
    }
}
