package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * In-place writes into an array a recorded op saved for its backward: the backward raises
 * naming the op and the tensor, as PyTorch's version counters do, instead of computing a
 * gradient from values the forward never saw.
 *
 * <p>The property runs every {@link GradTable} entry: after the forward, one input (or the
 * output) is written in place; the backward through the old graph must then either raise, or
 * return exactly the gradient of the unmodified forward. Silence with another gradient would
 * mean an op's rule reads a value {@link Rules#saved} does not list. The sweep also checks
 * that the ops whose rules read their inputs or output do raise, and the linear ones do not.
 */
class InPlaceVersionTest {

    @Provide
    Arbitrary<String> entries() {
        return Arbitraries.of(List.copyOf(GradTable.CASES.keySet()));
    }

    @Test
    void everyEntryEitherRaisesOrIsUnaffected() {
        Set<String> raised = new TreeSet<>();
        for (String s : GradTable.CASES.keySet()) raised.addAll(writesAfterTheForward(s, 3));
        for (String s : List.of("exp() output", "log() input 0", "mul(Tensor) input 0", "mul(Tensor) input 1",
                "matmul(Tensor) input 1", "softmax(int) output", "max() input 0", "prod() output", "pow(Tensor) input 1"))
            assertTrue(raised.contains(s), s + " did not raise; raised: " + raised);
        for (String s : List.of("add(Tensor) input 0", "neg() input 0", "sum() input 0", "reshape(int[]) input 0",
                "exp() input 0", "slice(int,int,int,int) input 0", "concat(int,Tensor[]) input 1"))
            assertFalse(raised.contains(s), s + " raised though its rule reads no value");
    }

    @Property(tries = 80)
    void writingAnInputOrTheOutputAfterTheForward(@ForAll("entries") String signature, @ForAll long seed) {
        writesAfterTheForward(signature, seed);
    }

    /** Writes each input, then the output, after a forward; returns which writes made backward raise. */
    private static Set<String> writesAfterTheForward(String signature, long seed) {
        GradTable.Case c = GradTable.CASES.get(signature);
        int arity = c.inputs().apply(new SplittableRandom(seed)).size();
        Set<String> raised = new TreeSet<>();
        for (int i = 0; i <= arity; i++) {
            List<Tensor> leaves = leaves(c, seed);
            Tensor y = c.f().apply(leaves);
            Tensor w = Tensor.of(NDArray.of(new SplittableRandom(seed ^ 99).doubles(y.size(), -1, 1).toArray(), y.shape()));
            Tensor loss = y.mul(w).sum(); // linear in y: the gradient is J^T w, read from the rules alone
            List<double[]> before = grads(loss, leaves);

            NDArray target = i < arity ? leaves.get(i).data() : y.data();
            NDArray changed = target.zip(BinaryOp.MUL, NDArray.scalar(1.001, DType.FLOAT64, target.device()));
            target.backend().copyInto(target, changed, false);

            String what = signature + (i < arity ? " input " + i : " output");
            try {
                List<double[]> stale = grads(loss, leaves);
                for (int k = 0; k < stale.size(); k++)
                    assertArrayEquals(before.get(k), stale.get(k), what + " written in place: backward read the changed values");
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("modified by an in-place write"), e.getMessage());
                assertTrue(e.getMessage().contains("expected version"), e.getMessage());
                raised.add(what);
            }
        }
        return raised;
    }

    private static List<Tensor> leaves(GradTable.Case c, long seed) {
        List<Tensor> leaves = new ArrayList<>();
        for (Tensor x : c.inputs().apply(new SplittableRandom(seed))) leaves.add(x.requiresGrad(true));
        return leaves;
    }

    private static List<double[]> grads(Tensor loss, List<Tensor> leaves) {
        List<double[]> r = new ArrayList<>();
        for (Tensor g : Autograd.grad(List.of(loss), leaves, null, true, false, false)) r.add(g.toDoubleArray());
        return r;
    }

    @Test
    void theErrorNamesTheOpTheTensorAndTheVersions() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 3}, 3, 1).requiresGrad(true);
        Tensor loss = a.matmul(b).sum();
        a.data().backend().copyInto(a.data(), NDArray.of(new double[] {0, 0, 0, 0, 0, 0}, 2, 3), false);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertEquals("backward: one of the tensors needed for gradient computation was modified by an in-place write: "
                + "input 0 of 'matmul', float64 [2, 3], is at version 1; expected version 0. "
                + "Write into a fresh array instead, or run the forward after the write", e.getMessage());
    }

    @Test
    void aWriteThroughAViewIsSeenByTheArrayItViews() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4).requiresGrad(true);
        Tensor loss = x.exp().sum(); // exp saves its output, not x
        Tensor sq = x.reshape(2, 2).square().sum(); // square saves x's storage, through the view
        NDArray row = x.data().reshape(2, 2).slice(0, 1, 2, 1);
        row.backend().copyInto(row, NDArray.of(new double[] {9, 9}, 1, 2), false);
        loss.backward(); // exp's rule reads y, which nobody wrote: fine
        assertThrows(IllegalStateException.class, sq::backward);
    }

    @Test
    void writingTheOutputOfAnOpThatSavesItRaises() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor y = x.exp();
        Tensor loss = y.sum();
        y.data().backend().copyInto(y.data(), NDArray.of(new double[] {0, 0}, 2), false);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("the output of 'exp'"), e.getMessage());
    }

    @Test
    void anInputNoRuleReadsMayBeWritten() {
        Tensor a = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {3, 4}, 2); // a constant: mul saves it for a's gradient only
        Tensor loss = a.mul(b).sum();
        a.data().backend().copyInto(a.data(), NDArray.of(new double[] {7, 7}, 2), false);
        loss.backward();
        assertArrayEquals(new double[] {3, 4}, a.grad().toDoubleArray());
    }
}
