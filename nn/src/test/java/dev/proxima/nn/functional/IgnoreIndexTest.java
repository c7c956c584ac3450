package dev.proxima.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Cross-entropy and nll skip the label -100 by default (PyTorch's {@code ignore_index}): the
 * mean over the other rows, no gradient into the skipped ones, NaN when all are skipped.
 * Values against PyTorch are in {@code CoreFixtureTest} ({@code loss_ce_ignore_default}).
 */
class IgnoreIndexTest {

    /** The loss with some labels -100 equals the loss over the other rows alone, and so does its gradient there. */
    @Property(tries = 60)
    void ignoredRowsDropOutOfTheMeanAndTheGradient(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 + r.nextInt(8), c = 1 + r.nextInt(6);
        double[] z = r.doubles(n * c, -3, 3).toArray();
        int[] y = new int[n];
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3) == 0 ? Losses.IGNORE_INDEX : r.nextInt(c);
            if (y[i] != Losses.IGNORE_INDEX) kept.add(i);
        }
        if (kept.isEmpty()) return; // the all-ignored case has its own test
        Tensor logits = Tensor.of(z, n, c).requiresGrad(true);
        Tensor loss = Losses.crossEntropy(logits, Tensor.of(NDArray.of(y, n)));
        double[] g = Autograd.grad(loss, logits).toDoubleArray();

        double[] zk = new double[kept.size() * c];
        int[] yk = new int[kept.size()];
        for (int j = 0; j < kept.size(); j++) {
            System.arraycopy(z, kept.get(j) * c, zk, j * c, c);
            yk[j] = y[kept.get(j)];
        }
        Tensor logitsKept = Tensor.of(zk, kept.size(), c).requiresGrad(true);
        Tensor lossKept = Losses.crossEntropy(logitsKept, Tensor.of(NDArray.of(yk, kept.size())), 0, Losses.IGNORE_NONE);
        double[] gk = Autograd.grad(lossKept, logitsKept).toDoubleArray();

        assertEquals(lossKept.item(), loss.item(), 1e-12);
        for (int i = 0, j = 0; i < n; i++) {
            boolean ignored = y[i] == Losses.IGNORE_INDEX;
            for (int k = 0; k < c; k++)
                assertEquals(ignored ? 0 : gk[j * c + k], g[i * c + k], 1e-12, "row " + i + (ignored ? " (ignored)" : ""));
            if (!ignored) j++;
        }
        assertEquals(lossKept.item(), Losses.nll(logits.logSoftmax(1), Tensor.of(NDArray.of(y, n))).item(), 1e-12);
    }

    @Test
    void allIgnoredGivesNaNAndAZeroGradientAsPyTorch() {
        // torch 1.13: F.cross_entropy(z, tensor([-100, -100, -100])) is nan and z.grad is zeros.
        Tensor logits = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).requiresGrad(true);
        Tensor loss = Losses.crossEntropy(logits, Tensor.of(NDArray.of(new int[] {-100, -100, -100}, 3)));
        assertTrue(Double.isNaN(loss.item()));
        assertArrayEquals(new double[6], Autograd.grad(loss, logits).toDoubleArray());
    }

    @Test
    void anIgnoredRowWithInfiniteLogitsDoesNotPoisonTheMean() {
        Tensor logits = Tensor.of(new double[] {0, 1, Double.NEGATIVE_INFINITY, 0}, 2, 2);
        // Row 1's class 0 has log p = -inf; it is ignored, so the loss is row 0's alone.
        Tensor loss = Losses.crossEntropy(logits, Tensor.of(NDArray.of(new int[] {1, -100}, 2)));
        assertEquals(Math.log1p(Math.exp(-1)), loss.item(), 1e-12);
    }

    @Test
    void ignoreNoneStillRejectsMinus100NamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(
                Tensor.of(new double[] {1, 2}, 1, 2), Tensor.of(NDArray.of(new int[] {-100}, 1)), 0, Losses.IGNORE_NONE));
        assertEquals("crossEntropy: label -100 at row 0 is out of range for 2 classes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(
                Tensor.of(new double[] {1, 2}, 1, 2), Tensor.of(NDArray.of(new int[] {-7}, 1))));
        assertEquals("crossEntropy: label -7 at row 0 is out of range for 2 classes (and is not the ignore index -100)", e.getMessage());
    }

    @Test
    void gradientChecksOfOrderOneAndTwoWithIgnoredLabels() {
        Tensor labels = Tensor.of(NDArray.of(new int[] {2, -100, 0, -100, 1}, 5));
        Tensor z = Tensor.of(new SplittableRandom(3).doubles(15, -2, 2).toArray(), 5, 3);
        GradCheck.Options o = new GradCheck.Options(1e-6, 1e-6, 1e-4, 3);
        GradCheck.check(xs -> Losses.crossEntropy(xs.get(0), labels), List.of(z), o);
        GradCheck.checkSecondOrder(xs -> Losses.crossEntropy(xs.get(0), labels), List.of(z), o);
        GradCheck.check(xs -> Losses.crossEntropy(xs.get(0), labels, 0.2, Losses.IGNORE_INDEX), List.of(z), o);
        GradCheck.checkSecondOrder(xs -> Losses.crossEntropy(xs.get(0), labels, 0.2, Losses.IGNORE_INDEX), List.of(z), o);
    }
}
