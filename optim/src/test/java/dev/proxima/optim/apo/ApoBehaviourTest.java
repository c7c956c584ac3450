package dev.proxima.optim.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.RmsProp;
import dev.proxima.optim.Sgd;
import dev.proxima.optim.Update;
import dev.proxima.optim.UpdateRule;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What APO does over many steps: the rate it learns, its listener, its memory, its settings. */
class ApoBehaviourTest {

    /**
     * A noisy quadratic: batch B has loss J_B(θ) = h/2·||θ − c_B||² with a random centre
     * c_B ~ N(0, 1). After one SGD step θ' − c_B = (1 − ηh)(θ − c_B), so
     * Q(η) = (h/2·(1 − ηh)² + λ_WSD/2·η²h²)·||θ − c_B||², minimized by η* = 1/(h + λ_WSD) on
     * every batch whatever its noise: the best fixed rate for the proximal objective is known.
     * APO-LR must move there from 10x too small and from 10x too large.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.1, 10})
    void learnsTheKnownBestRateOfANoisyQuadratic(double startFactor) {
        // λ_WSD = 9h keeps even the 10x rate a stable step (ηh = 1): a rate so large that the
        // base step diverges inflates Adam's second moment with huge meta-gradients, and the
        // meta-optimizer then crawls for hundreds of steps (seen with h = 2, λ_WSD = 2: stuck
        // at 1.26 η*); that is Adam's memory, not a wrong meta-gradient.
        double h = 1, lambdaWsd = 9, best = 1 / (h + lambdaWsd);
        int p = 10;
        Rng rng = new Rng(11);
        BiFunction<Params, Tensor, Tensor> model = (q, centre) -> q.get("theta").sub(centre);
        BiFunction<Tensor, Tensor, Tensor> loss = (residual, unused) -> residual.square().sum().mul(h / 2);
        ApoConfig config = ApoConfig.builder().metaInterval(1).lambdaFsd(0).lambdaWsd(lambdaWsd).initialLr(best * startFactor).build();
        Apo<Void> apo = new Apo<>(new ApoLr<>(ApoFixtures.sgd(), config), model, loss,
                Params.of("theta", Tensor.randn(rng, DType.FLOAT64, p)), config);
        List<Double> rates = new ArrayList<>();
        apo.addListener(s -> rates.add(s.learningRates().get("global")));
        for (int t = 0; t < 300; t++) {
            Tensor centre = Tensor.randn(rng, DType.FLOAT64, p);
            apo.step(centre, centre, centre);
        }
        double start = Math.abs(Math.log(startFactor));
        double end = Math.abs(Math.log(rates.get(rates.size() - 1) / best));
        assertTrue(end < 0.1 * start, "η moved from " + best * startFactor + " to " + rates.get(rates.size() - 1) + "; best is " + best);
        // and stays there: the last 50 rates are all within 20% of η*
        for (double r : rates.subList(rates.size() - 50, rates.size()))
            assertTrue(Math.abs(Math.log(r / best)) < Math.log(1.2), "η wandered to " + r);
    }

    @Test
    void listenerSeesEveryStepAndAMetaStepEveryK() {
        Rng rng = new Rng(3);
        ApoConfig config = ApoConfig.builder().metaInterval(4).perLayerLr(true).build();
        Apo<Void> apo = new Apo<>(new ApoLr<>(ApoFixtures.sgd(), config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY,
                ApoFixtures.mlpParams(rng, DType.FLOAT32, 4, 8, 3), config);
        List<ApoListener.Step> seen = new ArrayList<>();
        apo.addListener(seen::add);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 16, 4), y = ApoFixtures.oneHot(rng, 16, 3, DType.FLOAT32);
        for (int t = 0; t < 10; t++) apo.step(x, y, x);
        assertEquals(10, seen.size());
        for (ApoListener.Step s : seen) {
            assertEquals(s.index() % 4 == 0, s.metaStep(), "step " + s.index());
            assertEquals(List.of("0", "1"), new ArrayList<>(s.learningRates().keySet()));
            assertTrue(Double.isFinite(s.loss()));
        }
        assertTrue(seen.get(9).loss() < seen.get(0).loss(), "the MLP should fit its one batch");
        assertFalse(seen.get(0).learningRates().equals(seen.get(9).learningRates()), "the per-layer rates should move");
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) { // one System.gc() is a hint; the minimum is the stable figure
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** 2,000 meta-steps (K = 1) on a tiny MLP, with both rules: used heap is flat. */
    @ParameterizedTest
    @ValueSource(strings = {"lr", "precond"})
    void metaStepsAllocateNothingThatOutlivesThem(String variant) {
        Rng rng = new Rng(5);
        ApoConfig config = ApoConfig.builder().metaInterval(1).lambdaWsd(0.1).build();
        Params theta = ApoFixtures.mlpParams(rng, DType.FLOAT32, 6, 8, 3);
        Apo<?> apo = variant.equals("lr")
                ? new Apo<>(new ApoLr<>(ApoFixtures.momentum(0.9, theta.map(t -> t.mul(0))), config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, theta, config)
                : new Apo<>(new ApoPrecond(config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, theta, config);
        int[] metaSteps = {0};
        apo.addListener(s -> metaSteps[0] += s.metaStep() ? 1 : 0);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 8, 6), y = ApoFixtures.oneHot(rng, 8, 3, DType.FLOAT32);
        long heapAt200 = 0;
        for (int t = 1; t <= 2000; t++) {
            apo.step(x, y, x);
            if (t == 200) heapAt200 = usedHeapAfterGc();
        }
        long heapAt2000 = usedHeapAfterGc();
        assertEquals(2000, metaSteps[0]);
        assertTrue(heapAt2000 - heapAt200 < 16L << 20,
                "heap grew by " + ((heapAt2000 - heapAt200) >> 20) + " MB between meta-steps 200 and 2000");
        for (Tensor t : apo.params().values()) assertTrue(t.isLeaf() && !t.requiresGrad(), "θ is stored detached");
        for (Tensor t : apo.meta().values()) assertTrue(t.isLeaf() && !t.requiresGrad(), "φ is stored detached");
    }

    /**
     * With the meta-optimizer off (meta lr 0), APO-LR over an optim rule built with learning
     * rate 1 follows that rule built with the rate η, state (momentum, moments) included.
     */
    @Property(tries = 12)
    void frozenApoLrIsItsBaseOptimizer(@ForAll @DoubleRange(min = 0.01, max = 0.5) double lr, @ForAll @IntRange(max = 2) int which,
                                       @ForAll long seed) {
        UpdateRule<?>[] unit = {Sgd.builder().lr(1).momentum(0.9).nesterov(true).weightDecay(1e-2).build(),
                Adam.builder().lr(1).build(), RmsProp.builder().lr(1).momentum(0.5).build()};
        UpdateRule<?>[] atLr = {Sgd.builder().lr(lr).momentum(0.9).nesterov(true).weightDecay(1e-2).build(),
                Adam.builder().lr(lr).build(), RmsProp.builder().lr(lr).momentum(0.5).build()};
        followsReference(unit[which], atLr[which], lr, new Rng(seed));
    }

    private static <S> void followsReference(UpdateRule<S> unit, UpdateRule<?> reference, double lr, Rng rng) {
        @SuppressWarnings("unchecked") UpdateRule<Object> ref = (UpdateRule<Object>) reference;
        Params theta = ApoFixtures.mlpParams(rng, DType.FLOAT64, 3, 4, 2);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 5, 3), y = ApoFixtures.oneHot(rng, 5, 2, DType.FLOAT64);
        ApoConfig config = ApoConfig.builder().metaLr(0).initialLr(lr).metaInterval(2).build();
        Apo<S> apo = new Apo<>(ApoLr.over(unit, config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, theta, config);
        Params w = theta;
        Object state = ref.init(theta);
        for (int t = 0; t < 5; t++) {
            apo.step(x, y, x);
            Params leaves = w.requiresGrad();
            Params g = Autograd.grad(ApoFixtures.CROSS_ENTROPY.apply(ApoFixtures.MLP.apply(leaves, x), y), leaves);
            Update<Object> u = ref.update(g, state, w);
            w = u.applyTo(w).detach();
            state = u.state();
        }
        assertEquals(lr, apo.learningRates().get("global"), 1e-12 * lr);
        for (String name : w.names()) {
            double[] a = w.get(name).toDoubleArray(), b = apo.params().get(name).toDoubleArray();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-12 * (1 + Math.abs(a[i])), reference + " " + name);
        }
    }

    @Test
    void apoLrRejectsABaseRuleWhoseRateIsNotOne() {
        ApoConfig config = ApoConfig.defaults();
        var e = assertThrows(IllegalArgumentException.class, () -> new Apo<>(ApoLr.over(Sgd.of(0.1), config), ApoFixtures.MLP,
                ApoFixtures.CROSS_ENTROPY, ApoFixtures.mlpParams(new Rng(1), DType.FLOAT32, 2, 2, 2), config));
        assertTrue(e.getMessage().contains("learning rate 1") && e.getMessage().contains("0.1"), e.getMessage());
    }

    /**
     * The data-parallel hook: a reducer that passes trees through changes no bit, and it is
     * called once per step on the gradient and once per meta-step on the meta-gradient, each
     * with the step's scalar riding along (the parallel module's tests check real workers).
     */
    @Test
    void gradientReducerSeesTheGradientAndTheMetaGradientOfEachStep() {
        Rng rng = new Rng(5);
        ApoConfig config = ApoConfig.builder().metaInterval(2).build();
        Params start = ApoFixtures.mlpParams(rng, DType.FLOAT32, 4, 8, 3);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 16, 4), y = ApoFixtures.oneHot(rng, 16, 3, DType.FLOAT32);
        Tensor xMeta = Tensor.randn(rng, DType.FLOAT32, 8, 4);
        Apo<Void> plain = new Apo<>(new ApoLr<>(ApoFixtures.sgd(), config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, start, config);
        Apo<Void> hooked = new Apo<>(new ApoLr<>(ApoFixtures.sgd(), config), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, start, config);
        List<Integer> treeSizes = new ArrayList<>();
        hooked.gradientReducer(tree -> { treeSizes.add(tree.size()); return tree; });
        for (int t = 0; t < 4; t++) assertEquals(plain.step(x, y, xMeta), hooked.step(x, y, xMeta));
        // steps 0 and 2 meta-step: gradient (4 tensors + the loss), meta-gradient (log η + Q)
        assertEquals(List.of(5, 2, 5, 5, 2, 5), treeSizes);
        for (String name : start.names())
            assertTrue(java.util.Arrays.equals(plain.params().get(name).toFloatArray(), hooked.params().get(name).toFloatArray()), name);
        assertEquals(plain.meta().get(ApoLr.GLOBAL).item(), hooked.meta().get(ApoLr.GLOBAL).item());

        ApoConfig unrolled = ApoConfig.builder().lookaheadSteps(2).build();
        Apo<Void> apo = new Apo<>(new ApoLr<>(ApoFixtures.sgd(), unrolled), ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, start, unrolled);
        var e = assertThrows(IllegalArgumentException.class, () -> apo.gradientReducer(tree -> tree));
        assertTrue(e.getMessage().contains("lookaheadSteps"), e.getMessage());
    }

    @Test
    void configNamesEveryFieldAndRejectsBadValues() {
        ApoConfig d = ApoConfig.defaults();
        assertEquals(10, d.metaInterval());
        assertEquals(0.1, d.metaLr());
        assertEquals(1.0, d.lambdaFsd());
        assertEquals(0.0, d.lambdaWsd());
        assertEquals(d, d.toBuilder().build());
        String s = d.toString();
        for (String field : List.of("K=10", "lookahead=1", "λ_FSD=1.0", "λ_WSD=0.0", "ρ=KL", "initialLr=0.01", "perLayerLr=false",
                "Adam(lr=0.1", "precondLr=0.001", "β1=0.9", "β2=0.999", "ε=1.0E-8", "precondMaxDim=512", "precondMomentum=0.9"))
            assertTrue(s.contains(field), s + " lacks " + field);
        var e = assertThrows(IllegalArgumentException.class, () -> ApoConfig.builder().metaInterval(0).build());
        assertTrue(e.getMessage().contains("metaInterval"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ApoConfig.builder().initialLr(-1).build());
        assertTrue(e.getMessage().contains("initialLr"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Divergence.KL.apply(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }
}
