package dev.proxima.tensor;

import static dev.proxima.testkit.TestArrays.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.TestArrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** gather, scatterAdd, indexSelect and oneHot against nested-loop references. */
class IndexingPropertiesTest {

    /** A random input, axis and an index shape that fits it (other axes no larger, the gather axis any length). */
    private record Case(NDArray x, int axis, NDArray index) {}

    private static Case randomCase(SplittableRandom r) {
        int[] xs = randomShape(r, 1, 4, 4);
        int axis = r.nextInt(xs.length);
        int[] is = xs.clone();
        for (int d = 0; d < is.length; d++) is[d] = d == axis ? 1 + r.nextInt(5) : 1 + r.nextInt(xs[d]);
        return new Case(randomView(r, xs), axis, randomIndex(r, is, 0, xs[axis]));
    }

    private static double[] gatherRef(double[] x, int[] xs, int axis, int[] ix, int[] is) {
        double[] out = new double[ix.length];
        forEachIndex(is, i -> {
            int[] at = i.clone();
            at[axis] = ix[flat(is, i)];
            out[flat(is, i)] = x[flat(xs, at)];
        });
        return out;
    }

    @Property
    void gatherMatchesReference(@ForAll long seed) {
        Case c = randomCase(new SplittableRandom(seed));
        double[] expected = gatherRef(c.x.toDoubleArray(), c.x.shape(), c.axis, c.index.toIntArray(), c.index.shape());
        assertClose(expected, c.index.shape(), c.x.gather(c.axis, c.index), 0);
    }

    @Property
    void scatterAddMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Case c = randomCase(r);
        int[] is = c.index.shape(), ss = is.clone();
        for (int d = 0; d < ss.length; d++) ss[d] += r.nextInt(2); // a source larger than the index is allowed
        NDArray src = randomView(r, ss);
        double[] expected = c.x.toDoubleArray(), s = src.toDoubleArray();
        int[] ix = c.index.toIntArray(), xs = c.x.shape();
        forEachIndex(is, i -> {
            int[] at = i.clone();
            at[c.axis] = ix[flat(is, i)];
            expected[flat(xs, at)] += s[flat(ss, i)];
        });
        double[] before = c.x.toDoubleArray();
        assertClose(expected, xs, c.x.scatterAdd(c.axis, c.index, src), 1e-15);
        assertArrayEquals(before, c.x.toDoubleArray(), "scatterAdd must not modify its input");
    }

    @Property
    void scatterAddIsTheAdjointOfGather(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Case c = randomCase(r);
        NDArray g = randomView(r, c.index.shape());
        NDArray back = NDArray.zeros(DType.FLOAT64, c.x.shape()).scatterAdd(c.axis, c.index, g);
        assertAdjoint(dot(c.x.gather(c.axis, c.index), g), dot(c.x, back));
    }

    @Property
    void indexSelectMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] xs = randomShape(r, 1, 4, 4);
        int axis = r.nextInt(xs.length), k = r.nextInt(6);
        NDArray x = randomView(r, xs);
        NDArray index = randomIndex(r, new int[] {k}, 0, xs[axis]);
        int[] ix = index.toIntArray(), os = xs.clone();
        os[axis] = k;
        double[] xv = x.toDoubleArray(), expected = new double[Shapes.numel(os)];
        forEachIndex(os, i -> {
            int[] at = i.clone();
            at[axis] = ix[i[axis]];
            expected[flat(os, i)] = xv[flat(xs, at)];
        });
        assertClose(expected, os, Tensor.of(x).indexSelect(axis, Tensor.of(index)).data(), 0);
    }

    @Property
    void oneHotMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ls = randomShape(r, 0, 3, 4);
        int classes = 1 + r.nextInt(5);
        NDArray labels = randomIndex(r, ls, 0, classes);
        int[] lv = labels.toIntArray(), os = java.util.Arrays.copyOf(ls, ls.length + 1);
        os[ls.length] = classes;
        double[] expected = new double[Shapes.numel(os)];
        for (int i = 0; i < lv.length; i++) expected[i * classes + lv[i]] = 1;
        for (DType dt : DType.values()) {
            NDArray oh = NDArray.oneHot(labels, classes, dt);
            assertEquals(dt, oh.dtype());
            assertClose(expected, os, oh, 0);
        }
    }

    @Test
    void outOfRangeIndicesNameTheOpValueAxisAndShape() {
        NDArray x = NDArray.zeros(DType.FLOAT64, 3, 5);
        NDArray bad = NDArray.of(new int[] {0, 7, 2}, 3, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> x.gather(1, bad));
        assertEquals("gather: index 7 is out of range for axis 1 of size 5 (input shape [3, 5])", e.getMessage());
        NDArray negative = NDArray.of(new int[] {0, -1, 2}, 3, 1);
        e = assertThrows(IllegalArgumentException.class, () -> x.scatterAdd(1, negative, NDArray.zeros(DType.FLOAT64, 3, 1)));
        assertEquals("scatterAdd: index -1 is out of range for axis 1 of size 5 (input shape [3, 5])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(x).indexSelect(0, Tensor.of(NDArray.of(new int[] {3}, 1))));
        assertEquals("indexSelect: index 3 is out of range for axis 0 of size 3 (input shape [3, 5])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NDArray.oneHot(NDArray.of(new int[] {1, 10}, 2), 10, DType.FLOAT32));
        assertEquals("oneHot: label 10 is out of range for 10 classes (labels of shape [2])", e.getMessage());
    }

    @Test
    void badIndexShapesAndTypesAreRejected() {
        NDArray x = NDArray.zeros(DType.FLOAT64, 3, 5);
        var e = assertThrows(IllegalArgumentException.class, () -> x.gather(1, NDArray.zeros(DType.INT32, 4, 2)));
        assertEquals("gather: index [4, 2] is larger than input [3, 5] in axis 0, which is not the gather axis 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.gather(0, NDArray.zeros(DType.INT32, 3)));
        assertEquals("gather: index [3] and input [3, 5] differ in rank", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.gather(0, NDArray.zeros(DType.FLOAT32, 3, 5)));
        assertEquals("gather: index must be int32, got float32 array of shape [3, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(x).indexSelect(0, Tensor.of(NDArray.zeros(DType.INT32, 2, 2))));
        assertEquals("indexSelect: index must be a 1-d int32 tensor, got int32 [2, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> x.scatterAdd(0, NDArray.zeros(DType.INT32, 2, 2), NDArray.zeros(DType.FLOAT64, 1, 2)));
        assertTrue(e.getMessage().startsWith("scatterAdd: index [2, 2] is larger than source [1, 2] or input [3, 5]"), e.getMessage());
    }

    @Test
    void mixedDtypesPromote() {
        NDArray x = NDArray.of(new float[] {1, 2, 3});
        NDArray r = x.scatterAdd(0, NDArray.of(new int[] {2, 2}, 2), NDArray.of(0.5, 0.25));
        assertEquals(DType.FLOAT64, r.dtype());
        assertArrayEquals(new double[] {1, 2, 3.75}, r.toDoubleArray());
        assertArrayEquals(new float[] {3, 1}, Tensor.of(x).indexSelect(0, Tensor.of(NDArray.of(new int[] {2, 0}, 2))).toFloatArray());
    }
}
