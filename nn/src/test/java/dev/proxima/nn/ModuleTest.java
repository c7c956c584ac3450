package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The Module contract: names, setParams, the functional call (pure, differentiable, thread-safe), taps, state dicts. */
class ModuleTest {
    private static Sequential mlp(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(4, 5, rng), Activation.tanh(), new Linear(5, 3, rng));
    }

    @Test
    void namesAreDottedAndOrdered() {
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(mlp(1).params().names()));
        assertTrue(mlp(1).params().get("0.weight").requiresGrad());
    }

    @Test
    void sameSeedSameModel() {
        Check.close("seeded init", mlp(7).params().get("2.weight"), mlp(7).params().get("2.weight"), 0, 0);
        assertNotEquals(mlp(7).params().get("0.weight").toDoubleArray()[0], mlp(8).params().get("0.weight").toDoubleArray()[0]);
    }

    @Test
    void defaultInitIsPyTorchsBound() {
        double[] w = new Linear(100, 50, new Rng(3)).params().get("weight").toDoubleArray();
        double max = 0;
        for (double v : w) max = Math.max(max, Math.abs(v));
        assertTrue(max <= 0.1 && max > 0.09, "U(-1/sqrt(100), 1/sqrt(100)) should reach close to 0.1, max " + max);
    }

    @Test
    void setParamsReplacesAndChecksCongruence() {
        Sequential m = mlp(1);
        Params doubled = m.params().scale(2);
        m.setParams(doubled);
        assertSame(doubled.get("2.bias"), m.params().get("2.bias"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.setParams(Params.of("0.weight", Tensor.zeros(5, 4))));
        assertTrue(e.getMessage().contains("setParams") && e.getMessage().contains("0.bias"), e.getMessage());
    }

    @Test
    void applyDoesNotMutateAndForwardEqualsApplyOfParams() {
        Sequential m = mlp(2);
        Tensor x = Tensor.randn(new Rng(9), 3, 4);
        Params before = m.params();
        Tensor other = m.apply(before.scale(0.5), x);
        assertSame(before.get("0.weight"), m.params().get("0.weight"));
        Check.close("forward", m.apply(before, x), m.forward(x), 0, 0);
        assertNotEquals(other.toDoubleArray()[0], m.forward(x).toDoubleArray()[0]);
    }

    /** d/dφ of a loss at θ' = θ − φ·g (an SGD step with learning rate φ), against finite differences. */
    @Test
    void gradientThroughFunctionalCallMatchesFiniteDifferences() {
        Sequential m = mlp(3);
        m.to(DType.FLOAT64);
        Params theta = m.params().detach();
        Params g = theta.map(t -> Tensor.randn(new Rng(t.size()), DType.FLOAT64, t.shape()));
        Tensor x = Tensor.randn(new Rng(4), DType.FLOAT64, 5, 4);
        GradCheck.check(phis -> {
            Tensor phi = phis.get(0);
            Params thetaPrime = theta.zip(g, (t, gi) -> t.sub(gi.mul(phi.sum()).mul(phi.select(0, 1).exp())));
            return m.apply(thetaPrime, x).square().mean();
        }, List.of(Tensor.of(new double[] {0.3, -0.2}, 2)), new GradCheck.Options(1e-6, 1e-7, 1e-5, 1));
        GradCheck.checkSecondOrder(phis -> m.apply(theta.zip(g, (t, gi) -> t.sub(gi.mul(phis.get(0)))), x).tanh().sum(),
                List.of(Tensor.scalar(0.1).to(DType.FLOAT64)), new GradCheck.Options(1e-6, 1e-7, 1e-5, 2));
    }

    @Test
    void twoThreadsApplyingDifferentTreesGetTheirOwnResults() throws Exception {
        Sequential m = mlp(4);
        Tensor x = Tensor.randn(new Rng(5), 8, 4);
        List<Params> trees = List.of(m.params().scale(0.5), m.params().scale(-1.5));
        List<double[]> expected = new ArrayList<>();
        for (Params t : trees) expected.add(m.apply(t, x).toDoubleArray());
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<double[]>>> futures = new ArrayList<>();
            for (Params t : trees)
                futures.add(pool.submit(() -> {
                    start.await();
                    List<double[]> outs = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        Tensor y = m.apply(t.requiresGrad(), x);
                        outs.add(y.toDoubleArray());
                    }
                    return outs;
                }));
            for (int k = 0; k < 2; k++)
                for (double[] out : futures.get(k).get()) assertArrayEquals(expected.get(k), out, 0.0);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void tapsRecordEveryLinearInputAndOutput() {
        Sequential m = mlp(5);
        Tensor x = Tensor.randn(new Rng(6), 2, 3, 4);
        Tapped t = m.applyTapped(m.params(), x);
        assertEquals(2, t.taps().size());
        LayerTap first = t.taps().get(0), second = t.taps().get(1);
        assertEquals("0.weight", first.weight());
        assertEquals("2.bias", second.bias());
        assertArrayEquals(new int[] {6, 4}, first.input().shape());
        assertArrayEquals(new int[] {6, 5}, first.output().shape());
        Check.close("tap input", x.reshape(6, 4), first.input(), 0, 0);
        Check.close("tapped output equals the model output", t.output().reshape(6, 3), second.output(), 0, 0);
        // The output gradient KFAC needs: d loss / d tap output, and dW = gᵀ·input.
        Tensor loss = t.output().square().sum();
        List<Tensor> g = Autograd.grad(loss, List.of(second.output(), m.params().get("2.weight")), false);
        Check.close("dW from the tap", g.get(1), g.get(0).mT().matmul(second.input()), 1e-5, 1e-5);
    }

    @Test
    void stateDictRoundTripAndClearErrors() {
        Sequential a = mlp(6), b = mlp(7);
        Map<String, Tensor> s = a.stateDict();
        b.loadStateDict(s);
        Tensor x = Tensor.randn(new Rng(1), 2, 4);
        Check.close("loaded", a.forward(x), b.forward(x), 0, 0);
        Map<String, Tensor> bad = new LinkedHashMap<>(s);
        bad.remove("2.bias");
        bad.put("0.weight", Tensor.zeros(2, 2));
        bad.put("extra", Tensor.zeros(1));
        String msg = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(bad)).getMessage();
        assertTrue(msg.contains("missing '2.bias'") && msg.contains("'0.weight' has shape [2, 2]") && msg.contains("unexpected 'extra'"), msg);
    }

    @Test
    void trainAndEvalPropagate() {
        Sequential m = mlp(1);
        m.eval();
        assertTrue(!m.isTraining() && !m.get(0).isTraining());
        m.train(true);
        assertTrue(m.get(2).isTraining());
    }

    @Test
    void linearNamesItsShapeInErrors() {
        String msg = assertThrows(IllegalArgumentException.class, () -> mlp(1).forward(Tensor.zeros(2, 7))).getMessage();
        assertTrue(msg.contains("0.weight") && msg.contains("[2, 7]") && msg.contains("4"), msg);
    }

    @Test
    void dropoutIsSeededScaledAndOffInEval() {
        Dropout d1 = new Dropout(0.5, new Rng(11)), d2 = new Dropout(0.5, new Rng(11));
        Tensor x = Tensor.ones(1000);
        double[] a = d1.forward(x).toDoubleArray(), b = d2.forward(x).toDoubleArray();
        assertArrayEquals(a, b, 0.0);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(d1.forward(x).toDoubleArray()), "the seed advances per call");
        int kept = 0;
        for (double v : a) {
            assertTrue(v == 0 || v == 2);
            if (v != 0) kept++;
        }
        assertTrue(kept > 430 && kept < 570, "about half kept: " + kept);
        d1.eval();
        assertArrayEquals(x.toDoubleArray(), d1.forward(x).toDoubleArray(), 0.0);
    }

    @Test
    void dropoutGradientIsTheSameMaskScaled() {
        Dropout d = new Dropout(0.25, new Rng(3));
        Tensor x = Tensor.randn(new Rng(4), DType.FLOAT64, 40, 5).abs().add(0.5).requiresGrad(true);
        Tensor y = d.forward(x);
        Tensor g = Autograd.grad(y.sum(), x);
        Check.close("d(sum dropout(x))/dx = mask / (1 - p) = y / x", y.div(x), g, 1e-12, 1e-12);
    }

    @Test
    void initDistributionsHaveTheirFormulasSpread() {
        Rng rng = new Rng(8);
        double kaimingStd = Math.sqrt(2.0 / 400);
        assertEquals(kaimingStd, std(Init.kaimingNormal(rng, 0, 300, 400)), kaimingStd * 0.02);
        double xavierBound = Math.sqrt(6.0 / (300 + 400));
        assertEquals(xavierBound / Math.sqrt(3), std(Init.xavierUniform(rng, 1, 300, 400)), xavierBound * 0.02);
        assertEquals(Math.sqrt(2.0 / 700), std(Init.xavierNormal(rng, 1, 300, 400)), 0.002);
        assertEquals(Math.sqrt(2.0) * Math.sqrt(3.0 / 400) / Math.sqrt(3), std(Init.kaimingUniform(rng, 0, 300, 400)), 0.002);
        assertArrayEquals(new int[] {3 * 25, 8 * 25}, Init.fans(8, 3, 5, 5));
    }

    private static double std(Tensor t) {
        double[] v = t.toDoubleArray();
        double m = 0, s = 0;
        for (double x : v) m += x;
        m /= v.length;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / v.length);
    }

    @Test
    void functionalCallsNest() {
        Sequential inner = mlp(9);
        Module outer = new Module() {
            { registerChild("inner", inner); }

            @Override
            protected Tensor compute(Call call, Tensor x) {
                // An evaluation inside an evaluation: the inner module at half its weights, then at the given ones.
                Tensor half = inner.apply(inner.params().scale(0.5), x);
                return call.run("inner", inner, x).add(half);
            }
        };
        Tensor x = Tensor.randn(new Rng(10), 2, 4);
        Params p = outer.params().scale(2);
        Tensor expected = inner.apply(inner.params().scale(2), x).add(inner.apply(inner.params().scale(0.5), x));
        Check.close("nested", expected, outer.apply(p, x), 1e-6, 1e-6);
    }
}
