package dev.proxima.autograd;

import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * First- and second-order gradient checks of the ops composed from unfold2d/fold2d and
 * gather/scatterAdd (their values against plain loops: ConvolutionPropertiesTest in tests).
 */
class ConvolutionAndIndexingGradTest {
    private static final GradCheck.Options OPTS = GradCheck.Options.defaults();

    private static Tensor randn(Rng rng, int... shape) {
        return Tensor.randn(rng, DType.FLOAT64, shape);
    }

    @Property(tries = 15)
    void conv2dGradientsOfOrderOneAndTwo(@ForAll long seed, @ForAll @IntRange(min = 1, max = 2) int stride,
                                         @ForAll @IntRange(min = 0, max = 1) int pad, @ForAll @IntRange(min = 1, max = 2) int groups) {
        Rng rng = new Rng(seed);
        Conv2dSpec spec = Conv2dSpec.of(stride, pad, 1, groups);
        Tensor x = randn(rng, 1, 2 * groups / groups * groups, 4, 4);
        Tensor w = randn(rng, 2 * groups, 2, 2, 2);
        GradCheck.check(in -> Tensor.conv2d(in.get(0), in.get(1), spec).tanh(), List.of(x, w), OPTS);
        GradCheck.checkSecondOrder(in -> Tensor.conv2d(in.get(0), in.get(1), spec).tanh(), List.of(x, w), OPTS);
    }

    @Property(tries = 15)
    void poolingGradients(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int pad) {
        Rng rng = new Rng(seed);
        Pool2dSpec spec = Pool2dSpec.of(2, 2, pad);
        Tensor x = randn(rng, 1, 2, 4, 5); // distinct values almost surely: no ties
        GradCheck.check(t -> Tensor.maxPool2d(t, spec).square(), x);
        GradCheck.check(t -> Tensor.avgPool2d(t, spec).square(), x);
        GradCheck.checkSecondOrder(t -> Tensor.avgPool2d(t, spec).square(), x);
        // The max pool's Hessian is that of the square on the selected elements: check it too.
        GradCheck.checkSecondOrder(t -> Tensor.maxPool2d(t, spec).square(), x);
    }

    @Property(tries = 20)
    void gatherScatterAndIndexSelectGradients(@ForAll long seed) {
        Rng rng = new Rng(seed);
        Tensor x = randn(rng, 3, 4);
        int[] idx = new int[6];
        for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(3);
        Tensor index = Tensor.of(NDArray.of(idx, 2, 3));
        GradCheck.check(t -> t.gather(0, index).sin(), x);
        GradCheck.checkSecondOrder(t -> t.gather(0, index).sin(), x);
        Tensor src = randn(rng, 2, 3);
        GradCheck.check(in -> in.get(0).scatterAdd(0, index, in.get(1)).square(), List.of(x, src), OPTS);
        GradCheck.checkSecondOrder(in -> in.get(0).scatterAdd(0, index, in.get(1)).square(), List.of(x, src), OPTS);
        Tensor rows = Tensor.of(NDArray.of(new int[] {2, 0, 2}, 3));
        GradCheck.check(t -> t.indexSelect(0, rows).exp(), x);
    }
}
