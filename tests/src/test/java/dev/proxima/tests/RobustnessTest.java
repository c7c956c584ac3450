package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Autograd under threads, without a graph, on empty tensors, at std's singular point, across
 * devices, and from run to run: the same seed gives the same bits in two fresh JVMs.
 */
class RobustnessTest {

    // ---- concurrent backward ----------------------------------------------------------

    /**
     * N threads x M backward passes into one shared leaf accumulate exactly N*M contributions.
     * Integer-valued data keep every sum exact, so any lost update shows.
     */
    @Property(tries = 8)
    void concurrentBackwardLosesNoUpdate(@ForAll @IntRange(min = 2, max = 8) int threads,
                                         @ForAll @IntRange(min = 5, max = 60) int passes,
                                         @ForAll @IntRange(min = 1, max = 4) int rows) throws Exception {
        Tensor w = Tensor.of(NDArray.ones(DType.FLOAT64, 3, 2)).requiresGrad(true);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++)
                done.add(pool.submit(() -> {
                    start.await();
                    Tensor x = Tensor.of(NDArray.ones(DType.FLOAT64, rows, 3));
                    for (int p = 0; p < passes; p++) x.matmul(w).sum().backward();
                    return null;
                }));
            start.countDown();
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
        // d/dw sum(x w) = x^T 1: every entry is `rows` per pass.
        for (double g : w.grad().toDoubleArray()) assertEquals((double) threads * passes * rows, g, 0);
    }

    // ---- outputs without a graph -------------------------------------------------------

    @Test
    void gradOfAnOutputWithoutAGraphRaisesNamingIt() {
        Tensor x = Tensor.of(NDArray.of(new double[] {1, 2, 3}, 3)).requiresGrad(true);
        Tensor y;
        try (var off = Autograd.noGrad()) {
            y = x.square().sum();
        }
        Tensor yy = y;
        var e = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(yy, x));
        assertTrue(e.getMessage().contains("output 0") && e.getMessage().contains("no graph") && e.getMessage().contains("noGrad"), e.getMessage());
        Tensor constant = Tensor.of(NDArray.of(new double[] {1}, 1)).sum();
        var e2 = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(List.of(x.sum(), constant), List.of(x), null, false, false, true));
        assertTrue(e2.getMessage().contains("output 1"), e2.getMessage());
        // An output WITH a graph that does not reach an input is the allowUnused case: null, or zeros.
        Tensor other = Tensor.of(NDArray.of(new double[] {5}, 1)).requiresGrad(true);
        Tensor z = x.square().sum();
        List<Tensor> g = Autograd.grad(List.of(z), List.of(x, other), null, true, false, true);
        assertArrayEquals(new double[] {2, 4, 6}, g.get(0).toDoubleArray());
        assertNull(g.get(1));
        List<Tensor> g0 = Autograd.grad(List.of(z), List.of(x, other), null, false, false, false);
        assertArrayEquals(new double[] {0}, g0.get(1).toDoubleArray());
    }

    // ---- split sizes ---------------------------------------------------------------------

    @Property(tries = 50)
    void splitRejectsNegativeSizesEvenWhenTheyAddUp(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 1, max = 5) int k) {
        Tensor x = Tensor.of(NDArray.zeros(DType.FLOAT64, 2, n));
        // n + k and -k add up to n: only the sign check catches it.
        var e = assertThrows(IllegalArgumentException.class, () -> x.split(1, n + k, -k));
        assertTrue(e.getMessage().contains("split") && e.getMessage().contains(String.valueOf(-k)), e.getMessage());
    }

    // ---- empty tensors -----------------------------------------------------------------

    @Property(tries = 30)
    void gradientsThroughEmptyTensorsAreEmptyOrZero(@ForAll @IntRange(max = 3) int batch, @ForAll @IntRange(min = 1, max = 4) int in,
                                                     @ForAll @IntRange(min = 1, max = 4) int hidden, @ForAll boolean emptyBatch) {
        int n = emptyBatch ? 0 : batch;
        Rng rng = new Rng(batch * 31 + in);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, n, in).requiresGrad(true);
        Tensor w1 = Tensor.randn(rng, DType.FLOAT32, in, hidden).requiresGrad(true);
        Tensor w2 = Tensor.randn(rng, DType.FLOAT32, hidden, 2).requiresGrad(true);
        Tensor out = x.matmul(w1).tanh().relu().matmul(w2).exp().logSoftmax(1);
        List<Tensor> g = Autograd.grad(out.sum(), List.of(x, w1, w2), false);
        assertArrayEquals(new int[] {n, in}, g.get(0).shape());
        assertArrayEquals(new int[] {in, hidden}, g.get(1).shape());
        if (n == 0) {
            for (double v : g.get(1).toDoubleArray()) assertEquals(0, v);
            for (double v : g.get(2).toDoubleArray()) assertEquals(0, v);
            assertTrue(Double.isNaN(x.mean().item()), "mean of an empty tensor is NaN");
            assertEquals(0, x.sum().item());
            assertEquals(Double.NEGATIVE_INFINITY, x.logsumexp(new int[] {0}, false).toDoubleArray()[0]);
            assertArrayEquals(new int[] {in}, x.logsumexp(new int[] {0}, false).shape());
            Tensor lse = x.logsumexp(new int[] {0}, false).sum();
            assertArrayEquals(new int[] {0, in}, Autograd.grad(lse, x).shape());
            assertThrows(IllegalArgumentException.class, x::max);
        }
    }

    // ---- std where every element is equal -------------------------------------------------

    @Property(tries = 40)
    void stdOfEqualElementsHasZeroGradient(@ForAll @IntRange(min = 2, max = 6) int n, @ForAll @IntRange(min = 1, max = 3) int groups,
                                           @ForAll @IntRange(min = -5, max = 5) int value, @ForAll @IntRange(max = 1) int correction) {
        Tensor x = Tensor.of(NDArray.full(value, DType.FLOAT64, groups, n)).requiresGrad(true);
        Tensor s = x.std(new int[] {1}, false, correction);
        for (double v : s.toDoubleArray()) assertEquals(0, v);
        Tensor g = Autograd.grad(s.sum(), List.of(x), true).get(0);
        for (double v : g.toDoubleArray()) assertEquals(0, v, "d std / dx at equal elements");
        Tensor h = Autograd.grad(g.sum().add(s.sum()), x); // second order stays finite too
        for (double v : h.toDoubleArray()) assertTrue(Double.isFinite(v));
        // Away from the singular point std keeps its ordinary gradient (finite differences).
        double[] distinct = new double[groups * n];
        for (int i = 0; i < distinct.length; i++) distinct[i] = value + 0.37 * i * i - 0.5 * i;
        GradCheck.check(t -> t.std(new int[] {1}, false, correction), Tensor.of(NDArray.of(distinct, groups, n)));
        GradCheck.checkSecondOrder(t -> t.std(new int[] {1}, false, correction), Tensor.of(NDArray.of(distinct, groups, n)));
    }

    // ---- to(Device) is differentiable ------------------------------------------------------

    @Test
    void toDeviceOnTheSameDeviceIsTheIdentityAndDifferentiable() {
        double[] v = {0.5, -1.25, 2};
        GradCheck.check(t -> t.to(Device.cpu()).square().sum(), Tensor.of(NDArray.of(v, 3)));
        Tensor x = Tensor.of(NDArray.of(v, 3)).requiresGrad(true);
        assertArrayEquals(new double[] {1, -2.5, 4}, Autograd.grad(x.to(Device.cpu()).square().sum(), x).toDoubleArray());
    }

    // ---- the same seed, the same bits, in two fresh JVMs -------------------------------

    /** A few steps of a tiny MLP (tanh, sigmoid, exp, softmax cross-entropy); prints the final bits. */
    static final class TrainingRun {
        public static void main(String[] args) {
            Rng rng = new Rng(7);
            int[] classes = new int[64];
            for (int i = 0; i < 64; i++) classes[i] = (i * 7) % 4;
            Tensor x = Tensor.randn(rng, DType.FLOAT32, 64, 16);
            Tensor labels = Tensor.of(NDArray.oneHot(NDArray.of(classes, 64), 4, DType.FLOAT32));
            Tensor w1 = Tensor.randn(rng, DType.FLOAT32, 16, 32).mul(0.3).requiresGrad(true);
            Tensor w2 = Tensor.randn(rng, DType.FLOAT32, 32, 4).mul(0.3).requiresGrad(true);
            for (int step = 0; step < 60; step++) {
                Tensor h = x.matmul(w1).tanh().mul(x.matmul(w1).sigmoid()).add(x.matmul(w1).exp().mul(0.01));
                Tensor loss = h.matmul(w2).logSoftmax(1).mul(labels).sum().neg().div(64);
                List<Tensor> g = Autograd.grad(loss, List.of(w1, w2), false);
                w1 = w1.detach().sub(g.get(0).mul(0.5)).requiresGrad(true);
                w2 = w2.detach().sub(g.get(1).mul(0.5)).requiresGrad(true);
                if (step == 59) System.out.println("loss " + Float.floatToRawIntBits((float) loss.item()));
            }
            long h = 0;
            for (float f : w1.toFloatArray()) h = h * 31 + Float.floatToRawIntBits(f);
            for (float f : w2.toFloatArray()) h = h * 31 + Float.floatToRawIntBits(f);
            System.out.println("weights " + h);
        }
    }

    private static String runFresh() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), TrainingRun.class.getName());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "fresh JVM failed: " + out);
        return out;
    }

    @Test
    void aSeededTrainingRunIsBitIdenticalInTwoFreshJvms() throws Exception {
        String first = runFresh(), second = runFresh();
        assertTrue(first.startsWith("loss "), first);
        assertEquals(first, second);
    }
}
