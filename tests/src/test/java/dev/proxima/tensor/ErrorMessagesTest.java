package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Ref;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.function.Executable;

/** Errors name the op and the shapes involved (DESIGN rule 7), and come before any work is done. */
class ErrorMessagesTest {

    /** Asserts {@code call} throws {@code type} with a message containing every one of {@code parts}. */
    static <T extends Throwable> T fails(Class<T> type, Executable call, String... parts) {
        T e = assertThrows(type, call);
        String m = e.getMessage();
        for (String p : parts) assertTrue(m != null && m.contains(p), "message '" + m + "' should mention '" + p + "'");
        return e;
    }

    static String str(int... shape) {
        return Arrays.toString(shape);
    }

    /** A shape and a second one that cannot broadcast with it (one dimension clashes). */
    record Clash(int[] a, int[] b) {
        public String toString() {
            return str(a) + " vs " + str(b);
        }
    }

    @Provide
    Arbitrary<Clash> clashes() {
        return Gen.shapes(1, 4, 500).flatMap(s -> Combinators.combine(Arbitraries.integers().between(0, s.length - 1),
                Arbitraries.integers().between(2, 6), Arbitraries.integers().between(0, s.length - 1)).as((at, d, lead) -> {
                    int[] b = Arrays.copyOfRange(s, lead > at ? at : lead, s.length);
                    int i = at - (lead > at ? at : lead);
                    // A dimension that is neither 1 nor equal to the other.
                    int[] a = s.clone();
                    if (a[at] == 1) a[at] = d;
                    b[i] = a[at] + d;
                    return new Clash(a, b);
                }));
    }

    @Property
    void broadcastingMismatchNamesOpAndBothShapes(@ForAll("clashes") Clash c) {
        NDArray a = NDArray.zeros(c.a()), b = NDArray.zeros(c.b());
        for (BinaryOp op : BinaryOp.values())
            fails(IllegalArgumentException.class, () -> a.zip(op, b), op.opName() + ":", str(c.a()), str(c.b()));
        fails(IllegalArgumentException.class, () -> NDArray.where(a, a, b), "where", str(c.a()), str(c.b()));
        fails(IllegalArgumentException.class, () -> b.expand(c.a()), "expand", str(c.a()), str(c.b()));
    }

    @Example
    void matmulInnerDimensionMismatch() {
        fails(IllegalArgumentException.class, () -> NDArray.zeros(3, 4).matmul(NDArray.zeros(5, 6)), "matmul", "[3, 4]", "[5, 6]", "4", "5");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(4).matmul(NDArray.zeros(5)), "matmul", "[4]", "[5]");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(2, 3, 4).matmul(NDArray.zeros(7)), "matmul", "[2, 3, 4]", "[7]");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(3).matmul(NDArray.scalar(1)), "matmul", "[3]", "[]");
    }

    @Example
    void matmulBatchMismatchNamesTheFullShapes() {
        fails(IllegalArgumentException.class, () -> NDArray.zeros(2, 3, 4).matmul(NDArray.zeros(3, 4, 5)),
                "matmul", "[2, 3, 4]", "[3, 4, 5]");
    }

    @Property
    void badAxisNamesOpAxisAndShape(@ForAll("shapes") int[] shape, @ForAll("outOfRange") int past) {
        NDArray x = NDArray.zeros(shape);
        int n = shape.length, bad = past >= 0 ? n + past : -n - 1 + past; // just outside [-n, n)
        String s = str(shape), ax = "axis " + bad;
        fails(IllegalArgumentException.class, () -> x.sum(bad), "sum", ax, s);
        fails(IllegalArgumentException.class, () -> x.max(new int[] {bad}, false), "max", ax, s);
        fails(IllegalArgumentException.class, () -> Tensor.of(x).mean(new int[] {bad}, true), "mean", ax, s);
        fails(IllegalArgumentException.class, () -> Tensor.of(x).var(new int[] {bad}, true, 1), "var", ax, s);
        fails(IllegalArgumentException.class, () -> Tensor.of(x).logsumexp(new int[] {bad}, true), "logsumexp", ax, s);
        fails(IllegalArgumentException.class, () -> x.argmax(bad, false), "argmax", ax, s);
        fails(IllegalArgumentException.class, () -> x.softmax(bad), "softmax", ax, s);
        fails(IllegalArgumentException.class, () -> x.logSoftmax(bad), "logSoftmax", ax, s);
        fails(IllegalArgumentException.class, () -> x.slice(bad, 0, 1), "slice", ax, s);
        fails(IllegalArgumentException.class, () -> x.select(bad, 0), "select", ax, s);
        if (n >= 1) fails(IllegalArgumentException.class, () -> x.transpose(0, bad), "transpose", ax, s);
        if (n >= 1) fails(IllegalArgumentException.class, () -> x.sum(new int[] {0, -n}, false), "sum", "twice", s);
    }

    @Provide
    Arbitrary<int[]> shapes() {
        return Gen.shapes(0, 4, 200);
    }

    @Provide
    Arbitrary<Integer> outOfRange() {
        return Arbitraries.integers().between(-3, 3);
    }

    @Property
    void reshapeCountMismatch(@ForAll("shapes") int[] shape, @ForAll("outOfRange") int delta) {
        int n = Ref.count(shape), m = n + (delta == 0 ? 1 : Math.abs(delta));
        NDArray x = NDArray.zeros(shape);
        fails(IllegalArgumentException.class, () -> x.reshape(m), "reshape", str(shape), "[" + m + "]");
        if (n > 1) fails(IllegalArgumentException.class, () -> x.reshape(n + 1, -1), "reshape", str(shape), str(n + 1, -1));
        fails(IllegalArgumentException.class, () -> x.reshape(-1, -1), "reshape", "-1");
        fails(IllegalArgumentException.class, () -> NDArray.of(new double[n + 1], shape), "of", str(shape));
    }

    @Example
    void integerArraysAreRejectedByFloatingOps() {
        NDArray i = NDArray.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3), f = NDArray.zeros(2, 3);
        for (UnaryOp op : UnaryOp.values())
            fails(IllegalArgumentException.class, () -> i.map(op), op.opName() + ":", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, i::exp, "exp", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> i.add(f), "add", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> f.mul(i), "mul", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> i.sum(), "sum", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> i.argmax(0, false), "argmax", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> i.softmax(1), "softmax", "int32", "[2, 3]");
        fails(IllegalArgumentException.class, () -> i.matmul(f.mT()), "matmul", "int32", "[2, 3]");
    }

    @Property
    void itemOnANonScalar(@ForAll("shapes") int[] shape) {
        NDArray x = NDArray.zeros(shape);
        if (Ref.count(shape) == 1) {
            assertEquals(0, x.item());
            return;
        }
        fails(IllegalStateException.class, x::item, "item", str(shape), String.valueOf(Ref.count(shape)));
    }

    @Example
    void sizesPastIntRangeAreRejectedBeforeAllocating() {
        int[] huge = {65536, 65536};
        fails(IllegalArgumentException.class, () -> Shapes.numel(huge), str(huge), "2^31-1");
        fails(IllegalArgumentException.class, () -> Shapes.numel(new int[] {46341, 46341}), "2^31-1");
        assertEquals(Integer.MAX_VALUE, Shapes.numel(new int[] {Integer.MAX_VALUE}));
        assertEquals(46340 * 46340, Shapes.numel(new int[] {46340, 46340}));
        fails(IllegalArgumentException.class, () -> Shapes.numel(new int[] {3, -1}), "negative", "[3, -1]");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(huge), "zeros", str(huge), "2^31-1");
        fails(IllegalArgumentException.class, () -> NDArray.ones(DType.FLOAT64, huge), str(huge), "2^31-1");
        fails(IllegalArgumentException.class, () -> NDArray.full(2, DType.FLOAT32, 3, 1 << 20, 1 << 20), "full", "2^31-1");
        fails(IllegalArgumentException.class, () -> NDArray.rand(new Rng(0), DType.FLOAT32, huge), "uniform", str(huge));
        fails(IllegalArgumentException.class, () -> NDArray.randn(new Rng(0), DType.FLOAT32, huge), "normal", str(huge));
        // A broadcast view may be huge as long as nothing materialises it; materialising says why.
        NDArray view = NDArray.scalar(1).expand(huge);
        fails(IllegalArgumentException.class, view::contiguous, str(huge), "2^31-1");
    }

    @Property
    void selectOutOfRange(@ForAll("shapes") int[] shape, @ForAll("outOfRange") int past) {
        if (shape.length == 0) return;
        NDArray x = NDArray.zeros(shape);
        int axis = Math.floorMod(past, shape.length), len = shape[axis];
        int bad = past >= 0 ? len + past : -len - 1 + past;
        fails(IndexOutOfBoundsException.class, () -> x.select(axis, bad), "select", "index " + bad, str(shape));
        int[] idx = new int[shape.length];
        idx[axis] = bad;
        assertThrows(IndexOutOfBoundsException.class, () -> x.get(idx));
        fails(IllegalArgumentException.class, () -> x.get(new int[shape.length + 1]), "get", str(shape));
    }

    @Example
    void viewErrorsNameTheirShapes() {
        NDArray x = NDArray.zeros(2, 3, 1);
        fails(IllegalArgumentException.class, () -> x.squeeze(1), "squeeze", "[2, 3, 1]");
        fails(IllegalArgumentException.class, () -> x.permute(0, 1), "permute", "[2, 3, 1]");
        fails(IllegalArgumentException.class, () -> x.permute(0, 1, 1), "permute", "repeated");
        fails(IllegalArgumentException.class, () -> x.expand(3, 3, 1), "expand", "[2, 3, 1]", "[3, 3, 1]");
        fails(IllegalArgumentException.class, () -> x.expand(3, 1), "expand", "[2, 3, 1]");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(3).mT(), "mT", "[3]");
        fails(IllegalArgumentException.class, () -> x.slice(0, 0, 1, 0), "slice", "step");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(3, 0).max(new int[] {1}, false), "max", "[3, 0]");
        fails(IllegalArgumentException.class, () -> NDArray.zeros(3, 0).argmin(1, false), "argmin", "[3, 0]");
    }
}
