package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.functional.Metrics;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MetricsTest {
    /** Logits with a random row maximum; labels right with probability one half: accuracy is the count of the right ones. */
    @Property(tries = 50)
    void accuracyCountsTheRowsWhoseLargestLogitIsTheLabel(@ForAll @IntRange(min = 1, max = 40) int n,
                                                         @ForAll @IntRange(min = 2, max = 9) int classes, @ForAll long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] logits = new float[n * classes];
        int[] labels = new int[n];
        int right = 0;
        for (int i = 0; i < n; i++) {
            int top = r.nextInt(classes);
            for (int c = 0; c < classes; c++) logits[i * classes + c] = c == top ? 5 + r.nextFloat() : r.nextFloat();
            boolean hit = r.nextBoolean();
            labels[i] = hit ? top : (top + 1 + r.nextInt(classes - 1)) % classes;
            if (hit) right++;
        }
        Tensor l = Tensor.of(logits, n, classes), y = Tensor.of(NDArray.of(labels, n));
        assertEquals(right, Metrics.correct(l, y));
        assertEquals((double) right / n, Metrics.accuracy(l, y), 0);
    }

    @Test
    void badShapesNameTheMetricAndTheShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.accuracy(Tensor.zeros(4, 3), Tensor.of(NDArray.of(new int[] {0, 1, 2}, 3))));
        assertTrue(e.getMessage().startsWith("accuracy: logits [4, 3] and labels [3]"), e.getMessage());
    }

    @Test
    void accuracyOfAModelOverADataSetMatchesTheBatchedCountAndRestoresTrainingMode() {
        Rng rng = new Rng(3);
        int n = 37;
        Tensor x = Tensor.randn(rng, n, 1, 2, 3);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 4;
        Sequential model = new Sequential(new Flatten(), new Linear(6, 4, rng));
        model.train(true);
        double whole = Metrics.accuracy(model.predict(x), Tensor.of(NDArray.of(y, n)));
        double batched = Metrics.accuracy(model, new ArrayDataset(x.data(), NDArray.of(y, n)), 5);
        assertEquals(whole, batched, 0);
        assertTrue(model.isTraining());
    }
}
