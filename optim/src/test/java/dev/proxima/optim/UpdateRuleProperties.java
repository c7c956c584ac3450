package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

/**
 * Each rule against its plain double-array reference ({@link ReferenceOptimizers}) over a
 * few steps, on random parameter trees (random shapes), random gradients and random
 * hyperparameters, in float64, to 1e-12 relative (issue 23: every rule matches a float64
 * reference to 1e-12 over several steps; 200 tries of each passed when this was tightened).
 */
class UpdateRuleProperties {
    static final int STEPS = 5;

    /** A random tree of one to three float64 tensors of random shapes (rank 0 to 3). */
    static Params randomTree(Random r, Rng rng, DType dtype) {
        int count = 1 + r.nextInt(3);
        Object[] kv = new Object[2 * count];
        for (int i = 0; i < count; i++) {
            int[] shape = new int[r.nextInt(4)];
            for (int d = 0; d < shape.length; d++) shape[d] = 1 + r.nextInt(4);
            kv[2 * i] = "layer" + i + (i % 2 == 0 ? ".weight" : ".bias");
            kv[2 * i + 1] = Tensor.randn(rng, dtype, shape);
        }
        return Params.of(kv);
    }

    static double[] flat(Params p) {
        return p.values().stream().flatMapToDouble(t -> Arrays.stream(t.toDoubleArray())).toArray();
    }

    static Params randomLike(Params p, Rng rng) {
        return p.map(t -> Tensor.randn(rng, t.dtype(), t.shape()));
    }

    /** Runs {@code rule} and {@code ref} side by side for {@link #STEPS} steps and compares. */
    static <S> void agree(UpdateRule<S> rule, ReferenceOptimizers.Ref ref, Params params, Rng rng, double tol) {
        double[] expected = flat(params);
        S state = rule.init(params);
        for (int step = 0; step < STEPS; step++) {
            Params grads = randomLike(params, rng);
            ref.step(expected, flat(grads));
            Update<S> u = rule.update(grads, state, params);
            params = u.applyTo(params);
            state = u.state();
            double[] got = flat(params);
            for (int i = 0; i < got.length; i++)
                assertEquals(expected[i], got[i], tol * (1 + Math.abs(expected[i])), rule + " step " + step + " element " + i);
        }
    }

    @Property(tries = 40)
    void sgdMatchesReference(@ForAll @IntRange(min = 0, max = 1_000_000) int seed, @ForAll boolean useMomentum,
                             @ForAll boolean nesterov, @ForAll boolean decay) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        double lr = 0.01 + r.nextDouble(), mom = useMomentum ? r.nextDouble() : 0, damp = useMomentum && !nesterov ? r.nextDouble() * 0.5 : 0;
        double wd = decay ? r.nextDouble() * 0.1 : 0;
        boolean nest = nesterov && useMomentum;
        Sgd rule = Sgd.builder().lr(lr).momentum(mom).dampening(damp).weightDecay(wd).nesterov(nest).build();
        agree(rule, ReferenceOptimizers.sgd((int) p.numel(), lr, mom, damp, wd, nest), p, rng, 1e-12);
    }

    @Property(tries = 40)
    void adamMatchesReference(@ForAll @IntRange(min = 0, max = 1_000_000) int seed, @ForAll boolean decoupled,
                              @ForAll boolean decay, @ForAll boolean guarded, @ForAll boolean amsgrad) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        double lr = 1e-3 + r.nextDouble() * 0.1, b1 = 0.5 + 0.49 * r.nextDouble(), b2 = 0.9 + 0.0999 * r.nextDouble();
        double eps = Math.pow(10, -4 - 6 * r.nextDouble()), wd = decay ? r.nextDouble() * 0.1 : 0, epsRoot = guarded ? 1e-8 : 0;
        Adam.Builder b = decoupled ? AdamW.builder() : Adam.builder();
        Adam rule = b.lr(lr).betas(b1, b2).eps(eps).weightDecay(wd).epsRoot(epsRoot).amsgrad(amsgrad).build();
        agree(rule, ReferenceOptimizers.adam((int) p.numel(), lr, b1, b2, eps, wd, decoupled, epsRoot, amsgrad), p, rng, 1e-12);
    }

    @Property(tries = 40)
    void rmsPropMatchesReference(@ForAll @IntRange(min = 0, max = 1_000_000) int seed, @ForAll boolean centered,
                                 @ForAll boolean useMomentum, @ForAll boolean decay) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        double lr = 1e-3 + r.nextDouble() * 0.1, alpha = 0.5 + 0.49 * r.nextDouble(), eps = Math.pow(10, -4 - 6 * r.nextDouble());
        double mom = useMomentum ? r.nextDouble() : 0, wd = decay ? r.nextDouble() * 0.1 : 0;
        RmsProp rule = RmsProp.builder().lr(lr).alpha(alpha).eps(eps).momentum(mom).weightDecay(wd).centered(centered).build();
        agree(rule, ReferenceOptimizers.rmsProp((int) p.numel(), lr, alpha, eps, wd, mom, centered), p, rng, 1e-12);
    }

    @Property(tries = 40)
    void adagradMatchesReference(@ForAll @IntRange(min = 0, max = 1_000_000) int seed, @ForAll boolean decay, @ForAll boolean lrDecay) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        double lr = 1e-3 + r.nextDouble() * 0.5, lrd = lrDecay ? r.nextDouble() : 0, eps = Math.pow(10, -4 - 6 * r.nextDouble());
        double wd = decay ? r.nextDouble() * 0.1 : 0, init = r.nextDouble() * 0.5;
        Adagrad rule = Adagrad.builder().lr(lr).lrDecay(lrd).eps(eps).weightDecay(wd).initialAccumulatorValue(init).build();
        agree(rule, ReferenceOptimizers.adagrad((int) p.numel(), lr, lrd, eps, wd, init), p, rng, 1e-12);
    }

    @Property(tries = 20)
    void rulesNeverMutateTheirInputs(@ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64), g = randomLike(p, rng);
        double[] p0 = flat(p), g0 = flat(g);
        List<UpdateRule<?>> rules = List.of(Sgd.builder().lr(0.1).momentum(0.9).build(), Adam.builder().build(),
                RmsProp.builder().centered(true).momentum(0.5).build(), Adagrad.builder().build());
        for (UpdateRule<?> rule : rules) twoSteps(rule, p, g);
        assertArrayEquals(p0, flat(p));
        assertArrayEquals(g0, flat(g));
    }

    private static <S> void twoSteps(UpdateRule<S> rule, Params p, Params g) {
        S s0 = rule.init(p);
        Update<S> u = rule.update(g, s0, p);
        Update<S> again = rule.update(g, s0, p); // the same state used twice gives the same step
        assertArrayEquals(flat(u.applyTo(p)), flat(again.applyTo(p)), rule.toString());
        rule.update(g, u.state(), u.applyTo(p));
        assertArrayEquals(flat(u.applyTo(p)), flat(again.applyTo(p)), rule.toString());
    }

    // ---- laws ------------------------------------------------------------------------------

    @Property(tries = 20)
    void aZeroLearningRateLeavesTheParametersExactlyWhereTheyAre(@ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        List<UpdateRule<?>> rules = List.of(Sgd.builder().lr(0).momentum(0.9).nesterov(true).build(), Adam.builder().lr(0).build(),
                RmsProp.builder().lr(0).centered(true).momentum(0.5).build(), Adagrad.builder().lr(0).build());
        for (UpdateRule<?> rule : rules) {
            double[] before = flat(p);
            Params q = p;
            for (int i = 0; i < 3; i++) q = stepOnce(rule, q, rng);
            assertArrayEquals(before, flat(q), 0, rule.toString());
        }
    }

    private static <S> Params stepOnce(UpdateRule<S> rule, Params p, Rng rng) {
        return rule.update(randomLike(p, rng), rule.init(p), p).applyTo(p);
    }

    @Property(tries = 30)
    void adamWithoutEpsIsInvariantToTheGradientScale(@ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64);
        double c = Math.pow(10, -2 + 4 * r.nextDouble());
        Adam adam = Adam.builder().lr(0.01).eps(0).build();
        Adam.State s1 = adam.init(p), s2 = adam.init(p);
        Params p1 = p, p2 = p;
        for (int i = 0; i < 4; i++) {
            Params g = randomLike(p, rng).map(t -> t.add(0.5)); // keep every element away from 0 (0/0 without eps)
            Update<Adam.State> u1 = adam.update(g, s1, p1), u2 = adam.update(g.scale(c), s2, p2);
            p1 = u1.applyTo(p1); s1 = u1.state(); p2 = u2.applyTo(p2); s2 = u2.state();
        }
        assertArrayEquals(flat(p1), flat(p2), 1e-10, "gradients scaled by " + c);
    }

    @Property(tries = 30)
    void sgdStepsAreLinearInTheLearningRate(@ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = randomTree(r, rng, DType.FLOAT64), g = randomLike(p, rng);
        double lr = 0.01 + r.nextDouble();
        Sgd a = Sgd.builder().lr(lr).momentum(0.9).weightDecay(0.1).build(), b = (Sgd) a.withLr(2 * lr);
        double[] da = flat(p.sub(a.update(g, a.init(p), p).applyTo(p))), db = flat(p.sub(b.update(g, b.init(p), p).applyTo(p)));
        for (int i = 0; i < da.length; i++) assertEquals(2 * da[i], db[i], 1e-12 * (1 + Math.abs(db[i])));
    }

    @Example
    void mismatchedGradientsNameTheRule() {
        Params p = Params.of("w", Tensor.zeros(DType.FLOAT64, 2, 3));
        Params g = Params.of("w", Tensor.zeros(DType.FLOAT64, 3, 2));
        Sgd sgd = Sgd.of(0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.update(g, sgd.init(p), p));
        assertTrue(e.getMessage().startsWith("Sgd.update: gradients"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().build(), "Sgd needs a learning rate");
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().lr(0.1).nesterov(true).build(), "Nesterov needs momentum");
    }
    /**
     * {@link UpdateRule#step}, what every training loop applies, is {@code update} to the bit,
     * and records nothing: its parameters are fresh leaves even inside {@code enableGrad} with
     * a learning rate that requires gradients (where {@code update} records a graph).
     */
    @Property(tries = 30)
    void stepIsUpdateWithoutAGraph(@ForAll @IntRange(min = 0, max = 1_000_000) int seed, @ForAll boolean adam) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params params = randomTree(r, rng, DType.FLOAT64);
        Tensor lr = Tensor.full(0.01 + r.nextDouble(), DType.FLOAT64).requiresGrad(true);
        UpdateRule<?> rule = adam ? Adam.builder().lr(lr).build() : Sgd.builder().lr(lr).momentum(r.nextDouble()).build();
        stepsAgree(rule, params, rng);
    }

    private static <S> void stepsAgree(UpdateRule<S> rule, Params params, Rng rng) {
        S byUpdate = rule.init(params), byStep = byUpdate;
        Params viaUpdate = params, viaStep = params;
        for (int step = 0; step < STEPS; step++) {
            Params grads = randomLike(params, rng);
            try (var on = dev.proxima.autograd.Autograd.enableGrad()) {
                Update<S> u = rule.update(grads, byUpdate, viaUpdate);
                UpdateRule.Step<S> s = rule.step(grads, byStep, viaStep);
                Params next = u.applyTo(viaUpdate);
                assertTrue(next.values().get(0).requiresGrad(), "update records a graph through the learning rate");
                for (Tensor t : s.params().values()) assertFalse(t.requiresGrad(), rule + ": step " + step + " left a graph");
                assertArrayEquals(flat(next), flat(s.params()), rule + " step " + step);
                viaUpdate = next.detach();
                viaStep = s.params();
                byUpdate = u.state();
                byStep = s.state();
            }
        }
    }
}
