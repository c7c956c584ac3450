package dev.proxima.nn;

import static dev.proxima.nn.FixtureHarness.single;
import static dev.proxima.nn.FixtureHarness.verify;

import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Convolution, pooling, normalization, embedding and the residual block against PyTorch. */
class LayerFixtureTest {
    private static final Rng RNG = new Rng(2);

    @Test
    void conv2d() {
        verify("conv_basic", new Conv2d(3, 4, 3, RNG), true, single());
        verify("conv_stride_pad", new Conv2d(3, 4, 3, 2, Conv2dSpec.of(2, 1), true, RNG), true, single());
        verify("conv_dilation", new Conv2d(2, 3, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 1), false, RNG), true, single());
        verify("conv_groups", new Conv2d(4, 6, 3, 3, Conv2dSpec.of(1, 1, 1, 2), true, RNG), true, single());
    }

    @Test
    void conv2dTappedPathGivesTheSameValuesAndGradients() {
        // applyTapped takes the patch-matrix path; it must agree with PyTorch too.
        FixtureHarness.Run tapped = (m, p, b, in) -> new Module.Applied(m.applyTapped(p, in.get("x")).output(), b);
        verify("conv_stride_pad", new Conv2d(3, 4, 3, 2, Conv2dSpec.of(2, 1), true, RNG), true, tapped);
        verify("conv_dilation", new Conv2d(2, 3, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 1), false, RNG), true, tapped);
    }

    @Test
    void pooling() {
        verify("maxpool", new MaxPool2d(2), true, single());
        verify("maxpool_pad", new MaxPool2d(3, 2, 1), true, single());
        verify("avgpool", new AvgPool2d(2), true, single());
        verify("avgpool_pad", new AvgPool2d(3, 2, 1), true, single());
        verify("adaptive_avgpool", new AdaptiveAvgPool2d(2, 3), true, single());
        verify("adaptive_avgpool_1", new AdaptiveAvgPool2d(1), true, single());
    }

    @Test
    void batchNormTrainingUpdatesRunningStatisticsAndEvalUsesThem() {
        verify("batchnorm1d_train", new BatchNorm1d(4), true, single());
        verify("batchnorm1d_3d_train", new BatchNorm1d(3), true, single());
        verify("batchnorm1d_eval", new BatchNorm1d(4), false, single());
        verify("batchnorm2d_train", new BatchNorm2d(3), true, single());
        verify("batchnorm2d_eval", new BatchNorm2d(3), false, single());
    }

    @Test
    void layerNormAndRmsNorm() {
        verify("layernorm", new LayerNorm(5), true, single());
        verify("layernorm_2d", new LayerNorm(4, 5), true, single());
        verify("rmsnorm", new RMSNorm(5), true, single());
    }

    @Test
    void embedding() {
        verify("embedding", new Embedding(7, 4, RNG), true, (m, p, b, in) -> new Module.Applied(m.apply(p, in.get("idx")), b));
    }

    @Test
    void residualBlocks() {
        verify("resblock_down", new ResidualBlock(2, 4, 2, RNG), true, single());
        verify("resblock_same", new ResidualBlock(3, 3, 1, RNG), true, single());
    }
}
