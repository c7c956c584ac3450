package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

/**
 * A rule given its hyperparameters as tensors holding the same values as the doubles follows
 * the double trajectory bit for bit, on float32 parameters, over several steps: with plain
 * tensors, with tensors that require gradients under noGrad, and with recording on (the
 * values of a recorded step are the same).
 */
class TensorHyperparametersTest {
    static final int STEPS = 8;

    /** How a test names one hyperparameter value to a builder: as a double or as a tensor. */
    interface H extends Function<Double, Hyper> {}

    static H asDouble() { return Hyper::of; }

    static H asTensor(DType dtype, boolean requiresGrad) {
        return v -> Hyper.of(Tensor.of(NDArray.scalar(v, dtype, dev.proxima.tensor.Device.cpu())).requiresGrad(requiresGrad));
    }

    /** Every rule with every hyperparameter set through {@code h}; values are exact in float32. */
    static UpdateRule<?>[] rules(H h, double lr) {
        return new UpdateRule<?>[] {
            Sgd.builder().lr(h.apply(lr)).momentum(h.apply(0.875)).dampening(h.apply(0.25)).weightDecay(h.apply(0.0625)).build(),
            Sgd.builder().lr(h.apply(lr)).momentum(h.apply(0.5)).nesterov(true).schedule(Schedules.cosine(5, 0.125)).build(),
            Adam.builder().lr(h.apply(lr)).beta1(h.apply(0.875)).beta2(h.apply(0.9990234375)).eps(h.apply(0x1p-20)).weightDecay(h.apply(0.03125)).build(),
            AdamW.builder().lr(h.apply(lr)).beta1(h.apply(0.75)).beta2(h.apply(0.984375)).weightDecay(h.apply(0.125)).epsRoot(1e-8).amsgrad(true).build(),
            RmsProp.builder().lr(h.apply(lr)).alpha(h.apply(0.9375)).eps(h.apply(0x1p-16)).momentum(h.apply(0.5)).centered(true).weightDecay(h.apply(0.01)).build(),
            Adagrad.builder().lr(h.apply(lr)).lrDecay(h.apply(0.125)).eps(h.apply(0x1p-24)).weightDecay(h.apply(0.25)).build(),
        };
    }

    static <S> float[][] trajectory(UpdateRule<S> rule, Params params, long seed) {
        Rng rng = new Rng(seed);
        S state = rule.init(params);
        float[][] out = new float[STEPS][];
        for (int i = 0; i < STEPS; i++) {
            Params grads = UpdateRuleProperties.randomLike(params, rng);
            Update<S> u = rule.update(grads, state, params);
            params = u.applyTo(params);
            state = u.state();
            out[i] = flat(params);
        }
        return out;
    }

    static float[] flat(Params p) {
        int n = (int) p.numel(), at = 0;
        float[] f = new float[n];
        for (Tensor t : p.values()) {
            float[] x = t.toFloatArray();
            System.arraycopy(x, 0, f, at, x.length);
            at += x.length;
        }
        return f;
    }

    @Property(tries = 15)
    void tensorHyperparametersFollowTheDoublePathBitForBit(@ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        Params params = UpdateRuleProperties.randomTree(r, new Rng(seed), DType.FLOAT32);
        double lr = r.nextDouble() * 0.2; // an arbitrary double: float64 tensors hold it exactly
        UpdateRule<?>[] plain = rules(asDouble(), lr);
        UpdateRule<?>[] tensors = rules(asTensor(DType.FLOAT64, false), lr);
        UpdateRule<?>[] graded = rules(asTensor(DType.FLOAT64, true), lr);
        for (int i = 0; i < plain.length; i++) {
            float[][] expected = trajectory(plain[i], params, seed);
            assertBitIdentical(expected, trajectory(tensors[i], params, seed), tensors[i].toString());
            try (Autograd.Scope s = Autograd.noGrad()) {
                assertBitIdentical(expected, trajectory(graded[i], params, seed), "noGrad " + graded[i]);
            }
            assertBitIdentical(expected, trajectory(graded[i], params, seed), "recorded " + graded[i]);
        }
        // float32 tensors holding a float32-exact rate give the same bits too
        double lr32 = (float) lr;
        UpdateRule<?>[] plain32 = rules(asDouble(), lr32), tensors32 = rules(asTensor(DType.FLOAT32, false), lr32);
        for (int i = 0; i < plain32.length; i++)
            assertBitIdentical(trajectory(plain32[i], params, seed), trajectory(tensors32[i], params, seed), "float32 " + tensors32[i]);
    }

    private static void assertBitIdentical(float[][] expected, float[][] got, String what) {
        for (int step = 0; step < expected.length; step++)
            for (int i = 0; i < expected[step].length; i++)
                assertEquals(Float.floatToRawIntBits(expected[step][i]), Float.floatToRawIntBits(got[step][i]),
                        what + ": step " + step + " element " + i + ": " + expected[step][i] + " vs " + got[step][i]);
    }

    @Example
    void recordedStepIsDifferentiableInTheLearningRate() {
        Params p = Params.of("w", Tensor.of(new double[] {1, 2}, 2));
        Params g = Params.of("w", Tensor.of(new double[] {0.5, -1}, 2));
        Tensor lr = Tensor.of(NDArray.scalar(0.1, DType.FLOAT64, dev.proxima.tensor.Device.cpu())).requiresGrad(true);
        Sgd sgd = Sgd.builder().lr(lr).build();
        Tensor next = sgd.update(g, sgd.init(p), p).applyTo(p).get("w");
        assertTrue(next.requiresGrad());
        // d(sum(p - lr g))/dlr = -sum(g) = 0.5
        assertEquals(0.5, Autograd.grad(next.sum(), lr).item(), 1e-15);
    }

    @Example
    @SuppressWarnings("unchecked")
    void withLrChangesOnlyTheLearningRate() {
        Params params = UpdateRuleProperties.randomTree(new Random(2), new Rng(2), DType.FLOAT32);
        UpdateRule<?>[] a = rules(asDouble(), 0.05), b = rules(asDouble(), 0.3);
        for (int i = 0; i < a.length; i++) {
            LearningRateRule<Object> ra = (LearningRateRule<Object>) a[i];
            LearningRateRule<Object> swapped = ra.withLr(0.3);
            assertEquals(b[i].toString(), swapped.toString());
            assertEquals(0.3, swapped.lr().value(null));
            for (int k = 0; k < STEPS; k++)
                assertArrayEquals(trajectory(b[i], params, 9)[k], trajectory(swapped, params, 9)[k], 0f, swapped.toString());
            // a state made by one is valid for the other
            Object state = ra.init(params);
            Params g = UpdateRuleProperties.randomLike(params, new Rng(1));
            state = ra.update(g, state, params).state();
            assertNotNull(swapped.update(g, state, params).updates());
        }
    }

    @Example
    void oneElementTensorsOfAnyRankAreHyperparametersAndOthersAreRejected() {
        Params p = Params.of("w", Tensor.of(new double[] {1, 2}, 2));
        Params g = Params.of("w", Tensor.of(new double[] {1, 1}, 2));
        Sgd a = Sgd.builder().lr(Tensor.of(new double[] {0.5}, 1)).build(), b = Sgd.builder().lr(Tensor.of(new double[] {0.5}, 1, 1)).build();
        assertArrayEquals(new double[] {0.5, 1.5}, a.update(g, a.init(p), p).applyTo(p).get("w").toDoubleArray());
        assertArrayEquals(new double[] {0.5, 1.5}, b.update(g, b.init(p), p).applyTo(p).get("w").toDoubleArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hyper.of(Tensor.zeros(DType.FLOAT64, 2)));
        assertTrue(e.getMessage().contains("must have one element, got shape [2]"), e.getMessage());
        Sgd perParam = Sgd.builder().lr(Hyper.perParam(Params.of("v", Tensor.scalar(0.1)))).build();
        e = assertThrows(IllegalArgumentException.class, () -> perParam.update(g, perParam.init(p), p));
        assertTrue(e.getMessage().startsWith("Hyper.perParam: no value for parameter 'w'"), e.getMessage());
    }
}
