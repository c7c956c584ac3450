package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Every public {@link Tensor} op has a gradient-check entry in {@link GradTable} (or a stated
 * reason to have none), every entry passes its first- and second-order check, and together
 * the entries reach every {@link Primitive} and every unary, binary and reduce op, in the
 * forward graph or in the graph of its gradient (Embed, Fold2d and ScatterAdd are reached
 * through the rules of Slice, Unfold2d and Gather).
 */
class GradCoverageTest {

    /** {@code name(Type,...)} with simple type names; varargs show as arrays. */
    static String signature(Method m) {
        return m.getName() + "(" + java.util.Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",")) + ")";
    }

    /** The public methods that compute tensors: those returning Tensor or Tensor[]. */
    static Set<String> publicOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Tensor.class.getDeclaredMethods())
            if (Modifier.isPublic(m.getModifiers()) && (m.getReturnType() == Tensor.class || m.getReturnType() == Tensor[].class))
                ops.add(signature(m));
        return ops;
    }

    @Test
    void everyPublicTensorOpHasAGradientCheckOrAReasonNotTo() {
        Set<String> missing = new TreeSet<>(publicOps());
        missing.removeAll(GradTable.CASES.keySet());
        missing.removeAll(GradTable.NO_GRADIENT.keySet());
        assertEquals(Set.of(), missing, "public Tensor ops with no entry in GradTable (add a gradient check, or a reason to NO_GRADIENT)");
        Set<String> stale = new TreeSet<>(GradTable.CASES.keySet());
        stale.addAll(GradTable.NO_GRADIENT.keySet());
        stale.removeAll(publicOps());
        assertEquals(Set.of(), stale, "GradTable entries for methods Tensor does not have");
    }

    @Test
    void theEntriesReachEveryPrimitiveAndEveryOp() {
        Set<String> reached = new TreeSet<>();
        for (GradTable.Case c : GradTable.CASES.values()) {
            List<Tensor> leaves = new ArrayList<>();
            for (Tensor x : c.inputs().apply(new SplittableRandom(1))) leaves.add(x.requiresGrad(true));
            // Through the outer function the incoming gradient depends on the inputs, so the
            // backward graph records the rules' ops too (slice's rule records an Embed).
            Tensor y = c.outer().apply(c.f().apply(leaves)).sum();
            collect(y, reached);
            for (Tensor g : Autograd.grad(List.of(y), leaves, List.of(Tensor.of(y.data().mul(0).add(1))), true, true, true))
                if (g != null) collect(g, reached);
        }
        Set<String> expected = new TreeSet<>();
        for (Class<?> p : Primitive.class.getPermittedSubclasses()) expected.add(p.getSimpleName());
        for (UnaryOp op : UnaryOp.values()) expected.add("Unary." + op);
        for (BinaryOp op : BinaryOp.values()) if (!op.isComparison()) expected.add("Binary." + op); // masks are never recorded
        for (ReduceOp op : ReduceOp.values()) expected.add("Reduce." + op);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(reached);
        // A copy between devices needs a second device: its checks of order 1 and 2 are in
        // opencl's OpenClRobustnessTest (CPU -> OpenCL -> CPU), which runs wherever PoCL does.
        missing.remove("ToDevice");
        assertEquals(Set.of(), missing, "primitives and ops no GradTable entry reaches");
    }

    /** Adds the primitive (and op constant) of every node of the graph that produced {@code t}. */
    private static void collect(Tensor t, Set<String> into) {
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Tensor> todo = new ArrayDeque<>(List.of(t));
        while (!todo.isEmpty()) {
            Node n = todo.pop().node;
            if (n == null || !seen.add(n)) continue;
            into.add(n.op.getClass().getSimpleName());
            switch (n.op) {
                case Primitive.Unary u -> into.add("Unary." + u.op());
                case Primitive.Binary b -> into.add("Binary." + b.op());
                case Primitive.Reduce r -> into.add("Reduce." + r.op());
                default -> {}
            }
            todo.addAll(List.of(n.inputs()));
        }
    }

    @Provide
    Arbitrary<String> entries() {
        return Arbitraries.of(List.copyOf(GradTable.CASES.keySet()));
    }

    /** A deterministic sweep: every entry, every run, first and second order. */
    @Test
    void everyEntryPassesItsGradientChecks() {
        for (GradTable.Case c : GradTable.CASES.values()) check(c, 7);
    }

    /** And on random values (jqwik picks the entry and the seed). */
    @Property(tries = 60)
    void entriesPassOnRandomValues(@ForAll("entries") String signature, @ForAll long seed) {
        check(GradTable.CASES.get(signature), seed);
    }

    private static void check(GradTable.Case c, long seed) {
        List<Tensor> xs = c.inputs().apply(new SplittableRandom(seed));
        assertTrue(xs.stream().allMatch(x -> x.dtype().isFloating()), c.signature());
        try {
            GradCheck.check(c.f(), xs, c.options());
            GradCheck.checkSecondOrder(in -> c.outer().apply(c.f().apply(in)), xs, c.options());
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(c.signature() + ": " + e.getMessage(), e);
        }
    }
}
