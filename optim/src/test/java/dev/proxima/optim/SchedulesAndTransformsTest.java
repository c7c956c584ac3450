package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.Random;
import net.jqwik.api.*;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Schedules against their formulas, clipping and weight decay against flat arithmetic, and chain. */
class SchedulesAndTransformsTest {

    @Property(tries = 100)
    void schedulesFollowTheirFormulas(@ForAll @LongRange(min = 0, max = 500) long t, @ForAll @LongRange(min = 1, max = 50) long n,
                                      @ForAll @DoubleRange(min = 0.05, max = 0.99) double gamma, @ForAll @DoubleRange(min = 0, max = 0.5) double m) {
        assertEquals(Math.pow(gamma, t / n), Schedules.step(n, gamma).at(t), 1e-15);
        assertEquals(Math.pow(gamma, t), Schedules.exponential(gamma).at(t), 1e-15);
        double tc = Math.min(t, n);
        assertEquals(m + (1 - m) * 0.5 * (1 + Math.cos(Math.PI * tc / n)), Schedules.cosine(n, m).at(t), 1e-15);
        assertEquals(t < n ? (t + 1.0) / n : 1.0, Schedules.warmup(n).at(t), 1e-15);
        assertEquals(m + (1 - m) * Math.min(t, n) / n, Schedules.linear(m, 1, n).at(t), 1e-15);
        Schedule composed = Schedules.warmup(n).then(n, Schedules.cosine(100, m));
        assertEquals(t < n ? (t + 1.0) / n : Schedules.cosine(100, m).at(t - n), composed.at(t), 1e-15);
        assertEquals(Schedules.exponential(gamma).at(t) * Schedules.cosine(n, m).at(t),
                Schedules.exponential(gamma).times(Schedules.cosine(n, m)).at(t), 1e-15);
        assertEquals(Math.pow(gamma, (t >= 3 ? 1 : 0) + (t >= 10 ? 1 : 0)), Schedules.multiStep(gamma, 10, 3).at(t), 1e-15);
    }

    @Example
    void schedulesCheckTheirArguments() {
        assertThrows(IllegalArgumentException.class, () -> Schedules.step(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Schedules.cosine(10, 0).at(-1));
        assertEquals("warmup(5) for 5, then cosine(100 steps, min 0.0)", Schedules.warmup(5).then(5, Schedules.cosine(100, 0)).toString());
    }

    @Property(tries = 50)
    void clippingScalesToTheGlobalNorm(@ForAll @IntRange(min = 0, max = 100_000) int seed, @ForAll @DoubleRange(min = 0.01, max = 20) double maxNorm) {
        Params g = UpdateRuleProperties.randomTree(new Random(seed), new Rng(seed), DType.FLOAT64);
        double[] flat = UpdateRuleProperties.flat(g);
        double norm = 0;
        for (double x : flat) norm += x * x;
        norm = Math.sqrt(norm);
        double scale = Math.min(1, maxNorm / (norm + 1e-6));
        ClipByGlobalNorm clip = ClipByGlobalNorm.of(maxNorm);
        double[] got = UpdateRuleProperties.flat(clip.update(g, clip.init(g), g).updates());
        for (int i = 0; i < flat.length; i++) assertEquals(flat[i] * scale, got[i], 1e-12 * (1 + Math.abs(flat[i])));
        double after = Math.sqrt(java.util.Arrays.stream(got).map(x -> x * x).sum());
        assertTrue(after <= maxNorm + 1e-9, "norm after clipping " + after + " > " + maxNorm);
    }

    @Property(tries = 30)
    void chainEqualsItsStagesByHand(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Random r = new Random(seed);
        Rng rng = new Rng(seed);
        Params p = UpdateRuleProperties.randomTree(r, rng, DType.FLOAT64);
        ClipByGlobalNorm clip = ClipByGlobalNorm.of(0.5);
        WeightDecay decay = WeightDecay.of(0.1);
        Adam adam = Adam.builder().lr(0.01).build();
        Chain chain = Chain.chain(decay, clip, adam);
        Chain.State cs = chain.init(p);
        Adam.State as = adam.init(p);
        Params q = p;
        for (int step = 0; step < 4; step++) {
            Params g = UpdateRuleProperties.randomLike(p, rng);
            Update<Chain.State> cu = chain.update(g, cs, p);
            Params byHand = clip.update(decay.update(g, GradientTransform.Stateless.INSTANCE, q).updates(), GradientTransform.Stateless.INSTANCE, q).updates();
            Update<Adam.State> au = adam.update(byHand, as, q);
            assertArrayEquals(UpdateRuleProperties.flat(au.applyTo(q)), UpdateRuleProperties.flat(cu.applyTo(p)), 0);
            p = cu.applyTo(p); cs = cu.state(); q = au.applyTo(q); as = au.state();
        }
        assertEquals(0.01, chain.learningRate(cs));
        // Weight decay as a transform equals the rule's own weight decay setting
        Params g = UpdateRuleProperties.randomLike(p, rng);
        Sgd own = Sgd.builder().lr(0.1).weightDecay(0.1).build();
        Chain viaTransform = WeightDecay.of(0.1).then(Sgd.of(0.1));
        assertArrayEquals(UpdateRuleProperties.flat(own.update(g, own.init(p), p).applyTo(p)),
                UpdateRuleProperties.flat(viaTransform.update(g, viaTransform.init(p), p).applyTo(p)), 0);
    }

    /**
     * Stages compose in any order, as optax's chain: a clipping after SGD clips its step
     * (the update), and two rules in a row scale one another's update. The chain's learning
     * rate is that of its one stage that has one.
     */
    @Example
    void chainTakesItsStagesInAnyOrder() {
        Params p = Params.of("a", Tensor.of(new double[] {1, 2}, 2)), g = Params.of("a", Tensor.of(new double[] {30, 40}, 2));
        Chain clippedStep = Chain.of(Sgd.of(0.1), ClipByGlobalNorm.of(1));
        Update<Chain.State> u = clippedStep.update(g, clippedStep.init(p), p);
        assertArrayEquals(new double[] {-0.6, -0.8}, u.updates().get("a").toDoubleArray(), 1e-6); // the step -(3, 4) clipped to norm 1
        assertArrayEquals(new double[] {0.4, 1.2}, u.applyTo(p).get("a").toDoubleArray(), 1e-6);
        assertEquals(0.1, clippedStep.learningRate(clippedStep.init(p)));
        Chain twice = Chain.of(Sgd.of(0.5), Sgd.of(0.1));
        Update<Chain.State> t = twice.update(g, twice.init(p), p);
        assertArrayEquals(new double[] {1.5, 2}, t.updates().get("a").toDoubleArray(), 1e-12); // -0.1 * -(0.5 g)
        assertTrue(Double.isNaN(twice.learningRate(twice.init(p))), "two stages with a rate: none is the chain's");
        assertThrows(IllegalArgumentException.class, () -> Chain.of());
        assertEquals("Chain(ClipByGlobalNorm(maxNorm=1.0) -> Sgd(lr=0.1, momentum=0.0, dampening=0.0, nesterov=false, weightDecay=0.0))",
                Chain.of(ClipByGlobalNorm.of(1), Sgd.of(0.1)).toString());
        assertThrows(IllegalArgumentException.class, () -> ClipByGlobalNorm.of(0));
    }
}
