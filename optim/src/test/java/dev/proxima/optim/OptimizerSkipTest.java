package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A parameter without a gradient is skipped, as PyTorch skips one whose grad is None (issue
 * 21): it does not move and its state does not advance; once it gets gradients it steps as a
 * fresh optimizer would, while the others go on as if it did not exist.
 */
class OptimizerSkipTest {

    static UpdateRule<?> rule(int which) {
        return switch (which) {
            case 0 -> Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).weightDecay(0.01).build();
            case 1 -> Sgd.builder().lr(0.1).momentum(0.9).dampening(0.3).build();
            case 2 -> Adam.builder().lr(0.05).build();
            case 3 -> AdamW.builder().lr(0.05).amsgrad(true).build();
            case 4 -> RmsProp.builder().lr(0.01).momentum(0.5).centered(true).build();
            case 5 -> Adagrad.builder().lr(0.1).lrDecay(0.1).build();
            case 6 -> Chain.of(WeightDecay.of(0.1), Adam.builder().lr(0.05).build());
            default -> Chain.of(Sgd.builder().lr(0.1).momentum(0.9).build(), WeightDecay.of(0.5)); // a stage after the rule
        };
    }

    /** Runs {@code rule} purely on a one-parameter tree over the given gradients. */
    static <S> double[] pure(UpdateRule<S> rule, String name, Tensor start, List<Tensor> grads) {
        Params p = Params.of(name, start);
        S s = rule.init(p);
        for (Tensor g : grads) {
            Update<S> u = rule.update(Params.of(name, g), s, p);
            p = u.applyTo(p);
            s = u.state();
        }
        return p.get(name).toDoubleArray();
    }

    static long stepOf(Object state) {
        return switch (state) {
            case Sgd.State s -> s.step();
            case Adam.State s -> s.step();
            case RmsProp.State s -> s.step();
            case Adagrad.State s -> s.step();
            case Chain.State s -> stepOf(s.stages().stream().filter(x -> !(x instanceof GradientTransform.Stateless)).findFirst().orElseThrow());
            default -> throw new AssertionError(state);
        };
    }

    @Property(tries = 32)
    void anUnusedParameterIsUntouchedThenStepsAsAFreshOne(@ForAll @IntRange(max = 7) int which,
                                                          @ForAll @IntRange(min = 1, max = 4) int idle,
                                                          @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Rng rng = new Rng(seed);
        UpdateRule<?> rule = rule(which);
        Tensor used0 = Tensor.randn(rng, DType.FLOAT64, 2, 3), late0 = Tensor.randn(rng, DType.FLOAT64, 4);
        Optimizer opt = new Optimizer(rule, Params.of("used", used0, "late", late0));
        List<Tensor> usedGrads = new ArrayList<>(), lateGrads = new ArrayList<>();
        int steps = idle + 3;
        for (int t = 0; t < steps; t++) {
            Tensor a = Tensor.randn(rng, DType.FLOAT64, 2, 3), z = Tensor.randn(rng, DType.FLOAT64, 4);
            opt.zeroGrad();
            Tensor loss = opt.params().get("used").mul(a).sum();
            if (t >= idle) {
                loss = loss.add(opt.params().get("late").mul(z).sum());
                lateGrads.add(z);
            }
            usedGrads.add(a);
            loss.backward();
            opt.step();
            if (t < idle) {
                assertArrayEquals(late0.toDoubleArray(), opt.params().get("late").toDoubleArray(), 0, "idle parameter moved at step " + t);
                assertEquals(0, stepOf(((Map<?, ?>) opt.state()).get("late")), "idle parameter's state advanced");
            }
        }
        // the used parameter went on as if alone; the late one as a fresh optimizer from its first gradient, bit for bit
        assertArrayEquals(pure(rule, "used", used0, usedGrads), opt.params().get("used").toDoubleArray(), 0, rule.toString());
        assertArrayEquals(pure(rule, "late", late0, lateGrads), opt.params().get("late").toDoubleArray(), 0, rule.toString());
        Map<?, ?> states = (Map<?, ?>) opt.state();
        assertEquals(steps, stepOf(states.get("used")));
        assertEquals(steps - idle, stepOf(states.get("late")));
        assertEquals(steps, opt.steps());
    }

    /** ClipByGlobalNorm's norm covers the gradients present, as clip_grad_norm_ skips None. */
    @Example
    void clippingSeesOnlyThePresentGradients() {
        Params p = Params.of("a", Tensor.zeros(DType.FLOAT64, 2), "b", Tensor.zeros(DType.FLOAT64, 2));
        Optimizer opt = new Optimizer(ClipByGlobalNorm.of(1).then(Sgd.of(1)), p);
        opt.step(Params.of("a", Tensor.of(new double[] {3, 4}, 2)));
        assertArrayEquals(new double[] {-0.6, -0.8}, opt.params().get("a").toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {0, 0}, opt.params().get("b").toDoubleArray(), 0);
    }

    /** A rule that couples its parameters cannot skip one: the error names what has no gradient. */
    @Example
    void aRuleThatStepsTheTreeTogetherNamesTheMissingGradients() {
        Params p = Params.of("w", Tensor.zeros(DType.FLOAT64, 2, 2), "b", Tensor.zeros(DType.FLOAT64, 2));
        Optimizer opt = new Optimizer(Kfac.builder().build().rule(new Kfac.Curvature(List.of(), List.of(), 1)), p);
        var e = assertThrows(IllegalStateException.class, () -> opt.step(Params.of("w", Tensor.zeros(DType.FLOAT64, 2, 2))));
        assertTrue(e.getMessage().contains("[b]") && e.getMessage().contains("no gradient"), e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> opt.step(Params.of("v", Tensor.zeros(DType.FLOAT64, 2))));
        assertTrue(bad.getMessage().contains("'v'"), bad.getMessage());
        bad = assertThrows(IllegalArgumentException.class, () -> opt.step(Params.of("b", Tensor.zeros(DType.FLOAT64, 3))));
        assertTrue(bad.getMessage().contains("[3]") && bad.getMessage().contains("[2]"), bad.getMessage());
    }
}
