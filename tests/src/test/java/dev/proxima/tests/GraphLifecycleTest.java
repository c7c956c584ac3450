package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Graph lifetime in a training loop, independent graphs, and no-grad scopes. */
class GraphLifecycleTest {

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        // Several rounds: one System.gc() is a hint, and the minimum is the stable figure.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    @Test
    void trainingLoopReleasesEachStepsGraph() {
        Rng rng = new Rng(42);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 64, 8);
        Tensor trueW = Tensor.randn(rng, DType.FLOAT32, 8, 1);
        Tensor y = x.matmul(trueW).add(0.5);
        Tensor w = Tensor.zeros(8, 1).requiresGrad(true);
        Tensor b = Tensor.zeros(1).requiresGrad(true);
        double lr = 0.1, firstLoss = 0, lastLoss = 0;
        long heapAt200 = 0;
        WeakReference<Tensor> firstPrediction = null;
        for (int step = 1; step <= 2000; step++) {
            Tensor pred = x.matmul(w).add(b);
            Tensor loss = pred.sub(y).square().mean();
            loss.backward();
            if (step == 1) {
                firstLoss = loss.item();
                firstPrediction = new WeakReference<>(pred);
            }
            if (step % 250 == 0) // the nodes were released: a second pass is an error
                assertThrows(IllegalStateException.class, loss::backward);
            lastLoss = loss.item();
            w = w.sub(w.grad().mul(lr)).detach().requiresGrad(true);
            b = b.sub(b.grad().mul(lr)).detach().requiresGrad(true);
            if (step == 200) heapAt200 = usedHeapAfterGc();
        }
        long heapAt2000 = usedHeapAfterGc();
        assertNull(firstPrediction.get(), "step 1's graph is still reachable after 2000 steps");
        assertTrue(heapAt2000 - heapAt200 < 32L << 20,
                "heap grew by " + ((heapAt2000 - heapAt200) >> 20) + " MB between steps 200 and 2000");
        assertTrue(lastLoss < 1e-4 * firstLoss, "the loop should fit: loss " + firstLoss + " -> " + lastLoss);
    }

    @Test
    void twoGraphsRecordedAndDifferentiatedIndependently() {
        Tensor w = GradInputs.f64(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor u = GradInputs.f64(new double[] {0.5, -1, 2}, 3).requiresGrad(true);
        // Interleave the recording of y1 = sum(w² · u) and y2 = sum(exp(w) + u).
        Tensor a1 = w.square();
        Tensor a2 = w.exp();
        Tensor y1 = a1.mul(u).sum();
        Tensor y2 = a2.add(u).sum();
        // Differentiate y2 first; y1's graph, sharing the leaves, must be untouched.
        List<Tensor> g2 = Autograd.grad(List.of(y2), List.of(w, u), null, false, false, false);
        List<Tensor> g1 = Autograd.grad(List.of(y1), List.of(w, u), null, false, false, false);
        double[] wv = {1, 2, 3}, uv = {0.5, -1, 2};
        for (int i = 0; i < 3; i++) {
            assertEquals(Math.exp(wv[i]), g2.get(0).toDoubleArray()[i], 1e-12);
            assertEquals(1, g2.get(1).toDoubleArray()[i], 1e-12);
            assertEquals(2 * wv[i] * uv[i], g1.get(0).toDoubleArray()[i], 1e-12);
            assertEquals(wv[i] * wv[i], g1.get(1).toDoubleArray()[i], 1e-12);
        }
        // backward() on both accumulates into the shared leaves.
        Tensor z1 = w.square().sum(), z2 = w.mul(3.0).sum();
        z2.backward();
        z1.backward();
        assertArrayEquals(new double[] {5, 7, 9}, w.grad().toDoubleArray(), 1e-12);
        // A graph recorded while another is being differentiated (createGraph nests them).
        Tensor inner = Autograd.grad(w.pow(3.0).sum(), List.of(w), true).get(0); // 3w²
        Tensor outer = Autograd.grad(inner.mul(u).sum(), w); // 6 w u
        for (int i = 0; i < 3; i++) assertEquals(6 * wv[i] * uv[i], outer.toDoubleArray()[i], 1e-12);
    }

    @Test
    void noGradRecordsNothingAndNests() {
        Tensor w = GradInputs.f64(new double[] {1, 2}, 2).requiresGrad(true);
        assertTrue(Autograd.isGradEnabled());
        try (var outer = Autograd.noGrad()) {
            Tensor y = w.mul(w).sum();
            assertFalse(y.requiresGrad());
            assertTrue(y.isLeaf());
            try (var inner = Autograd.noGrad()) {
                assertFalse(Autograd.isGradEnabled());
            }
            assertFalse(Autograd.isGradEnabled(), "closing the inner scope must not re-enable recording");
            assertFalse(w.exp().requiresGrad());
            try (var on = Autograd.enableGrad()) {
                Tensor z = w.exp().sum();
                assertTrue(z.requiresGrad());
                assertFalse(z.isLeaf());
                assertEquals(Math.exp(2), Autograd.grad(z, w).toDoubleArray()[1], 1e-12);
                try (var off = Autograd.noGrad()) {
                    assertFalse(w.exp().requiresGrad());
                }
                assertTrue(Autograd.isGradEnabled());
            }
            assertFalse(Autograd.isGradEnabled());
        }
        assertTrue(Autograd.isGradEnabled());
        assertTrue(w.mul(w).requiresGrad());
        // Values computed under noGrad equal the recorded ones.
        double recorded = w.mul(w).sum().item(), unrecorded;
        try (var off = Autograd.noGrad()) {
            unrecorded = w.mul(w).sum().item();
        }
        assertEquals(recorded, unrecorded);
    }

    @Test
    void noGradScopeIsPerThread() throws Exception {
        Tensor w = GradInputs.f64(new double[] {1, 2}, 2).requiresGrad(true);
        try (var off = Autograd.noGrad()) {
            boolean[] other = new boolean[1];
            Thread t = new Thread(() -> other[0] = w.exp().requiresGrad());
            t.start();
            t.join();
            assertTrue(other[0], "another thread's recording is not affected");
        }
    }
}
