package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

/**
 * Steps are differentiable functions of their hyperparameters and of the parameters, checked
 * against central finite differences in float64 ({@link GradCheck}): d(params after a few
 * steps)/d(lr, momentum, betas), and the Adam step differentiated through a gradient made
 * with createGraph, where {@code epsRoot} keeps the derivative finite at zero gradients.
 */
class DifferentiabilityTest {

    static Tensor scalar(double v) {
        return Tensor.of(NDArray.scalar(v, DType.FLOAT64, Device.cpu()));
    }

    /** The flattened parameters after {@code steps} updates with fixed random gradients. */
    static <S> Tensor run(UpdateRule<S> rule, Params params, int steps, long seed) {
        Rng rng = new Rng(seed);
        S state = rule.init(params);
        for (int i = 0; i < steps; i++) {
            Update<S> u = rule.update(UpdateRuleProperties.randomLike(params, rng), state, params);
            params = u.applyTo(params);
            state = u.state();
        }
        return Tensor.concat(0, params.values().stream().map(t -> t.reshape(-1)).toList());
    }

    static Params params(long seed) {
        Rng rng = new Rng(seed);
        return Params.of("w", Tensor.randn(rng, DType.FLOAT64, 3, 2), "b", Tensor.randn(rng, DType.FLOAT64, 3));
    }

    @Property(tries = 8)
    void stepsAreDifferentiableInTheirHyperparameters(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Params p = params(seed);
        List<Function<Tensor, UpdateRule<?>>> byLr = List.of(
                lr -> Sgd.builder().lr(lr).build(),
                lr -> Sgd.builder().lr(lr).momentum(0.9).nesterov(true).weightDecay(0.1).build(),
                lr -> Adam.builder().lr(lr).build(),
                lr -> AdamW.builder().lr(lr).weightDecay(0.3).build(),
                lr -> RmsProp.builder().lr(lr).momentum(0.5).centered(true).build(),
                lr -> Adagrad.builder().lr(lr).lrDecay(0.1).build(),
                lr -> Chain.of(ClipByGlobalNorm.of(0.5), Sgd.builder().lr(lr).momentum(0.5).build()));
        for (Function<Tensor, UpdateRule<?>> make : byLr)
            GradCheck.check(lr -> run(make.apply(lr), p, 3, seed), scalar(0.05));
        GradCheck.check(mu -> run(Sgd.builder().lr(0.1).momentum(mu).dampening(0.2).build(), p, 3, seed), scalar(0.7));
        GradCheck.check(b1 -> run(Adam.builder().lr(0.1).beta1(b1).build(), p, 3, seed), scalar(0.8));
        GradCheck.check(b2 -> run(Adam.builder().lr(0.1).beta2(b2).build(), p, 3, seed), scalar(0.95));
        GradCheck.check(a -> run(RmsProp.builder().lr(0.1).alpha(a).build(), p, 3, seed), scalar(0.9));
        GradCheck.check(wd -> run(Chain.of(WeightDecay.of(wd), Sgd.builder().lr(0.1).build()), p, 2, seed), scalar(0.2));
    }

    @Example
    void perParameterLearningRatesAreDifferentiable() {
        Params p = params(11);
        Function<List<Tensor>, Tensor> f = lrs -> run(Sgd.builder().lr(Hyper.perParam(Params.of("w", lrs.get(0), "b", lrs.get(1))))
                .momentum(0.5).build(), p, 3, 11);
        GradCheck.check(f, List.of(scalar(0.1), scalar(0.3)), GradCheck.Options.defaults());
        Tensor lw = scalar(0.1).requiresGrad(true), lb = scalar(0.3).requiresGrad(true);
        Tensor out = f.apply(List.of(lw, lb));
        assertEquals(2, Autograd.grad(List.of(out.sum()), List.of(lw, lb), null, false, false, false).size());
    }

    /** f(p) = p after one Adam step on the gradient of a loss whose gradient is exactly 0 in places. */
    static Function<Tensor, Tensor> adamStepOfItsOwnGradient(double epsRoot) {
        Adam adam = Adam.builder().lr(0.1).epsRoot(epsRoot).build();
        Tensor mask = Tensor.of(new double[] {1, 0, 1, 1, 0, 1}, 6); // masked entries get gradient 0
        return x -> {
            Params p = Params.of("x", x);
            Tensor loss = x.mul(mask).square().sum().add(x.mul(mask).sum().square());
            Params g = Autograd.grad(loss, p, true);
            return adam.update(g, adam.init(p), p).applyTo(p).get("x");
        };
    }

    @Example
    void epsRootKeepsAStepDifferentiatedThroughItsGradientFinite() {
        Tensor x = Tensor.randn(new Rng(5), DType.FLOAT64, 6).requiresGrad(true);
        // Without the guard, d sqrt(v)/dv = 1 / (2 sqrt 0) meets dv/dg = 0 at the masked entries: NaN.
        Tensor bad = Autograd.grad(adamStepOfItsOwnGradient(0).apply(x).sum(), x);
        assertTrue(java.util.Arrays.stream(bad.toDoubleArray()).anyMatch(Double::isNaN), "expected NaN without epsRoot");
        Tensor good = Autograd.grad(adamStepOfItsOwnGradient(1e-8).apply(x).sum(), x);
        assertTrue(java.util.Arrays.stream(good.toDoubleArray()).allMatch(Double::isFinite), "finite with epsRoot: " + good);
        // and it is the right derivative: first and second order against finite differences
        GradCheck.Options o = new GradCheck.Options(1e-6, 1e-5, 1e-4, 99);
        GradCheck.check(xs -> adamStepOfItsOwnGradient(1e-8).apply(xs.get(0)), List.of(x.detach()), o);
        GradCheck.checkSecondOrder(xs -> adamStepOfItsOwnGradient(1e-8).apply(xs.get(0)), List.of(x.detach()), o);
    }
}
