package dev.proxima.nn;

import dev.proxima.nn.functional.Losses;
import dev.proxima.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Linear, activations and losses against PyTorch (fixtures from src/test/python/make_fixtures.py). */
class CoreFixtureTest {
    private static final Rng RNG = new Rng(1);

    @Test
    void linear() {
        FixtureHarness.verify("linear", new Linear(5, 3, RNG), true, FixtureHarness.single());
        FixtureHarness.verify("linear_3d", new Linear(5, 3, RNG), true, FixtureHarness.single());
        FixtureHarness.verify("linear_nobias", new Linear(4, 2, false, RNG), true, FixtureHarness.single());
    }

    @Test
    void activations() {
        FixtureHarness.verify("act_relu", new ReLU(), true, FixtureHarness.single());
        FixtureHarness.verify("act_gelu", Activation.gelu(), true, FixtureHarness.single());
        FixtureHarness.verify("act_gelu_tanh", Activation.geluTanh(), true, FixtureHarness.single());
        FixtureHarness.verify("act_silu", Activation.silu(), true, FixtureHarness.single());
        FixtureHarness.verify("act_tanh", Activation.tanh(), true, FixtureHarness.single());
        FixtureHarness.verify("act_sigmoid", Activation.sigmoid(), true, FixtureHarness.single());
        FixtureHarness.verify("act_softmax", Activation.softmax(-1), true, FixtureHarness.single());
    }

    @Test
    void losses() {
        FixtureHarness.verifyFunction("loss_mse", in -> Losses.mse(in.get("p"), in.get("t")));
        FixtureHarness.verifyFunction("loss_l1", in -> Losses.l1(in.get("p"), in.get("t")));
        FixtureHarness.verifyFunction("loss_huber", in -> Losses.huber(in.get("p"), in.get("t"), 0.7));
        FixtureHarness.verifyFunction("loss_ce", in -> Losses.crossEntropy(in.get("z"), in.get("y")));
        FixtureHarness.verifyFunction("loss_ce_smooth_ignore", in -> Losses.crossEntropy(in.get("z"), in.get("y"), 0.2, 3));
        FixtureHarness.verifyFunction("loss_nll", in -> Losses.nll(in.get("lp"), in.get("y")));
        // Labels -100 skipped by default, as PyTorch's ignore_index.
        FixtureHarness.verifyFunction("loss_ce_ignore_default", in -> Losses.crossEntropy(in.get("z"), in.get("y")));
        FixtureHarness.verifyFunction("loss_nll_ignore_default", in -> Losses.nll(in.get("lp"), in.get("y")));
        FixtureHarness.verifyFunction("loss_bce", in -> Losses.bceWithLogits(in.get("z"), in.get("t")));
        FixtureHarness.verifyFunction("loss_kl", in -> Losses.klDiv(in.get("a").logSoftmax(1), in.get("b").softmax(1), false));
        FixtureHarness.verifyFunction("loss_kl", in -> Losses.klDivLogits(in.get("b"), in.get("a")));
    }
}
