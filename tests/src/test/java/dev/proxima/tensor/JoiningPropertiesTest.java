package dev.proxima.tensor;

import static dev.proxima.testkit.TestArrays.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.TestArrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** concat, stack, split, chunk and pad against nested-loop references. */
class JoiningPropertiesTest {

    @Property
    void concatMatchesReferenceAndSplitUndoesIt(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] base = randomShape(r, 1, 4, 3);
        int axis = r.nextInt(base.length), parts = 1 + r.nextInt(4);
        NDArray[] xs = new NDArray[parts];
        int[] sizes = new int[parts];
        int[] os = base.clone();
        os[axis] = 0;
        for (int i = 0; i < parts; i++) {
            int[] s = base.clone();
            s[axis] = sizes[i] = r.nextInt(4); // empty parts included
            xs[i] = randomView(r, s);
            os[axis] += sizes[i];
        }
        double[] expected = new double[Shapes.numel(os)];
        int start = 0;
        for (int p = 0; p < parts; p++) {
            double[] v = xs[p].toDoubleArray();
            int[] s = xs[p].shape();
            int at = start;
            forEachIndex(s, i -> {
                int[] o = i.clone();
                o[axis] += at;
                expected[flat(os, o)] = v[flat(s, i)];
            });
            start += sizes[p];
        }
        NDArray joined = NDArray.concat(axis, xs);
        assertClose(expected, os, joined, 0);
        Tensor[] back = Tensor.of(joined).split(axis, sizes);
        for (int p = 0; p < parts; p++) assertClose(xs[p].toDoubleArray(), xs[p].shape(), back[p].data(), 0);
    }

    @Property
    void stackIsConcatOfUnsqueezedAndChunkCoversTheAxis(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = randomShape(r, 0, 3, 3);
        int axis = r.nextInt(s.length + 1), count = 1 + r.nextInt(4);
        NDArray[] xs = new NDArray[count];
        for (int i = 0; i < count; i++) xs[i] = randomView(r, s);
        NDArray stacked = Tensor.stack(axis, tensors(xs)).data();
        int[] os = new int[s.length + 1];
        for (int d = 0, j = 0; d < os.length; d++) os[d] = d == axis ? count : s[j++];
        assertArrayEquals(os, stacked.shape());
        for (int i = 0; i < count; i++) assertClose(xs[i].toDoubleArray(), s, stacked.select(axis, i), 0);

        int chunks = 1 + r.nextInt(5);
        NDArray[] pieces = arrays(Tensor.of(stacked).chunk(chunks, axis));
        int len = (count + chunks - 1) / chunks;
        assertTrue(pieces.length <= chunks);
        for (int i = 0; i < pieces.length; i++) assertEquals(Math.min(len, count - i * len), pieces[i].shape(axis));
        assertClose(stacked.toDoubleArray(), os, NDArray.concat(axis, pieces), 0);
    }

    @Property
    void padMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = randomShape(r, 1, 3, 4);
        int[] padding = new int[2 * s.length], os = new int[s.length];
        for (int d = 0; d < s.length; d++) {
            // Amounts in [-size, 3) on each side, keeping the padded size >= 0.
            padding[2 * d] = r.nextInt(s[d] + 3) - s[d];
            padding[2 * d + 1] = Math.max(r.nextInt(s[d] + 3) - s[d], -s[d] - padding[2 * d]);
            os[d] = s[d] + padding[2 * d] + padding[2 * d + 1];
        }
        double value = r.nextBoolean() ? 0 : -1.5;
        NDArray x = randomView(r, s);
        double[] xv = x.toDoubleArray(), expected = new double[Shapes.numel(os)];
        forEachIndex(os, o -> {
            int[] i = new int[s.length];
            boolean inside = true;
            for (int d = 0; d < s.length; d++) {
                i[d] = o[d] - padding[2 * d];
                inside &= i[d] >= 0 && i[d] < s[d];
            }
            expected[flat(os, o)] = inside ? xv[flat(s, i)] : value;
        });
        assertClose(expected, os, x.pad(padding, value), 0);
    }

    @Property
    void padByMinusPIsTheAdjointOfPadByP(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = randomShape(r, 1, 3, 4);
        int[] padding = new int[2 * s.length], negated = new int[2 * s.length], os = new int[s.length];
        for (int d = 0; d < s.length; d++) {
            padding[2 * d] = r.nextInt(s[d] + 3) - s[d];
            padding[2 * d + 1] = Math.max(r.nextInt(s[d] + 3) - s[d], -s[d] - padding[2 * d]);
            negated[2 * d] = -padding[2 * d];
            negated[2 * d + 1] = -padding[2 * d + 1];
            os[d] = s[d] + padding[2 * d] + padding[2 * d + 1];
        }
        NDArray x = randomView(r, s), y = randomView(r, os);
        assertAdjoint(dot(x.pad(padding, 0), y), dot(x, y.pad(negated, 0)));
    }

    @Test
    void joiningPromotesDtypes() {
        NDArray a = NDArray.of(new float[] {1, 2}), b = NDArray.of(3.0);
        NDArray c = NDArray.concat(0, a, b);
        assertEquals(DType.FLOAT64, c.dtype());
        assertArrayEquals(new double[] {1, 2, 3}, c.toDoubleArray());
        assertEquals(DType.FLOAT32, Tensor.stack(0, Tensor.of(a), Tensor.of(a)).dtype());
        NDArray padded = NDArray.of(new int[] {1, 2}, 2).pad(new int[] {1, 1}, 7);
        assertEquals(DType.INT32, padded.dtype());
        assertArrayEquals(new int[] {7, 1, 2, 7}, padded.toIntArray());
    }

    @Test
    void errorsNameTheOpAndShapes() {
        NDArray a = NDArray.zeros(2, 3), b = NDArray.zeros(2, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> NDArray.concat(0, a, b));
        assertEquals("concat: shapes [2, 3] and [2, 4] differ outside axis 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.stack(0, Tensor.of(a), Tensor.of(b)));
        assertEquals("stack: shapes [2, 3] and [2, 4] differ", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(a).split(1, 1, 1));
        assertEquals("split: sections [1, 1] add up to 2, not to the size 3 of axis 1 of shape [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.pad(new int[] {1, 1}, 0));
        assertEquals("pad: padding [1, 1] has 2 values, but shape [2, 3] needs a (before, after) pair per axis: 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.pad(new int[] {0, 0, -2, -2}, 0));
        assertEquals("pad: padding [0, 0, -2, -2] crops axis 1 of shape [2, 3] below size 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NDArray.concat(0));
        assertEquals("concat: no arrays given", e.getMessage());
    }

    private static Tensor[] tensors(NDArray... xs) {
        Tensor[] t = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) t[i] = Tensor.of(xs[i]);
        return t;
    }

    private static NDArray[] arrays(Tensor... ts) {
        NDArray[] a = new NDArray[ts.length];
        for (int i = 0; i < ts.length; i++) a[i] = ts[i].data();
        return a;
    }
}
