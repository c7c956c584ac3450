package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The semantics PyTorch documents, for the ops whose two old copies had drifted apart, each
 * checked against a plain reference written from the documentation (index arithmetic over
 * row-major arrays), not against another implementation:
 * <ul>
 *   <li>pad (torch.nn.functional.pad, mode "constant"): any value, any axis; a negative
 *       amount removes elements; the gradient is the incoming one cropped back;</li>
 *   <li>concat (torch.cat) and binary ops: dtypes promote as torch.result_type; each input's
 *       gradient comes back in its own dtype; an int32 operand of arithmetic is an error;</li>
 *   <li>max pooling (torch.nn.functional.max_pool2d): with ties, each window's gradient goes to
 *       its first maximum in row-major order within the window.</li>
 * </ul>
 */
class TorchSemanticsTest {

    // ---- pad ---------------------------------------------------------------------------

    @Property(tries = 80)
    void padPlacesValuesAndCropsAsDocumented(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rank = 1 + r.nextInt(3);
        int[] shape = new int[rank], padding = new int[2 * rank], out = new int[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = 1 + r.nextInt(4);
            // before + after > -shape[d]: a crop keeps at least one element. (A crop to size 0 is
            // legal, but the CPU's binary kernel reads element 0 of an empty operand, which the
            // gradient check below would trip over: left to the argument-checking work.)
            padding[2 * d] = r.nextInt(-shape[d] + 1, 3);
            padding[2 * d + 1] = r.nextInt(-shape[d] + 1 - padding[2 * d], 3);
            out[d] = shape[d] + padding[2 * d] + padding[2 * d + 1];
        }
        double value = r.nextInt(2) == 0 ? 0 : r.nextDouble(-5, 5);
        double[] xv = r.doubles(size(shape), -1, 1).toArray();
        Tensor x = Tensor.of(NDArray.of(xv, shape)).requiresGrad(true);
        Tensor y = x.pad(padding, value);
        assertArrayEquals(out, y.shape());

        double[] expected = new double[size(out)];
        double[] w = r.doubles(size(out), -1, 1).toArray(), dx = new double[xv.length];
        int[] at = new int[rank];
        for (int i = 0; i < expected.length; i++) {
            unravel(i, out, at);
            int src = 0;
            boolean inside = true;
            for (int d = 0; d < rank; d++) {
                int j = at[d] - padding[2 * d]; // the input index this output position shows
                inside &= j >= 0 && j < shape[d];
                src = src * shape[d] + j;
            }
            expected[i] = inside ? xv[src] : value;
            if (inside) dx[src] += w[i];
        }
        assertArrayEquals(expected, y.toDoubleArray(), 0, "pad " + java.util.Arrays.toString(padding) + " of " + java.util.Arrays.toString(shape));
        Tensor g = Autograd.grad(y.mul(Tensor.of(NDArray.of(w, out))).sum(), x);
        assertArrayEquals(dx, g.toDoubleArray(), 1e-12, "the gradient is w cropped back to the input");
    }

    @Test
    void padWithFewerPairsLeavesTrailingAxesAlone() {
        Tensor x = Tensor.of(NDArray.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
        assertArrayEquals(new double[] {0, 0, 0, 1, 2, 3, 4, 5, 6}, x.pad(1, 0).toDoubleArray());
        assertArrayEquals(new double[] {4, 5, 6}, x.pad(-1, 0).toDoubleArray());
        var e = assertThrows(IllegalArgumentException.class, () -> x.pad(new int[] {0, 0, -2, -2}, 0));
        assertEquals("pad: padding [0, 0, -2, -2] crops axis 1 of shape [2, 3] below size 0", e.getMessage());
    }

    // ---- dtype promotion ---------------------------------------------------------------

    /** torch.result_type for two tensors of these dtypes. */
    private static DType resultType(DType a, DType b) {
        if (a == b) return a;
        if (a == DType.FLOAT64 || b == DType.FLOAT64) return DType.FLOAT64;
        if (a == DType.FLOAT32 || b == DType.FLOAT32) return DType.FLOAT32;
        if (a == DType.BFLOAT16 || b == DType.BFLOAT16) return DType.BFLOAT16; // bfloat16 with int32 (torch 1.13 checked)
        return DType.FLOAT32;
    }

    @Property(tries = 40)
    void concatPromotesLikeResultTypeAndGradientsKeepTheirDtype(@ForAll DType a, @ForAll DType b, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(3), cols = 1 + r.nextInt(3), more = 1 + r.nextInt(3);
        double[] av = r.ints(rows * cols, -8, 8).asDoubleStream().toArray(); // exact in every dtype
        double[] bv = r.ints(more * cols, -8, 8).asDoubleStream().toArray();
        Tensor ta = Tensor.of(NDArray.of(av, rows, cols).to(a)), tb = Tensor.of(NDArray.of(bv, more, cols).to(b));
        if (a.isFloating()) ta = ta.requiresGrad(true);
        if (b.isFloating()) tb = tb.requiresGrad(true);
        Tensor c = Tensor.concat(0, ta, tb);
        assertEquals(resultType(a, b), c.dtype(), a + " with " + b);
        double[] expected = new double[av.length + bv.length];
        System.arraycopy(av, 0, expected, 0, av.length);
        System.arraycopy(bv, 0, expected, av.length, bv.length);
        assertArrayEquals(expected, c.toDoubleArray());
        if (!c.requiresGrad()) return;
        List<Tensor> leaves = new java.util.ArrayList<>();
        if (ta.requiresGrad()) leaves.add(ta);
        if (tb.requiresGrad()) leaves.add(tb);
        List<Tensor> g = Autograd.grad(List.of(c.sum()), leaves, List.of(Tensor.of(NDArray.scalar(1, c.dtype(), c.device()))),
                false, false, false);
        for (int i = 0; i < leaves.size(); i++) {
            assertEquals(leaves.get(i).dtype(), g.get(i).dtype(), "gradient dtype of a " + leaves.get(i).dtype() + " input");
            for (double v : g.get(i).toDoubleArray()) assertEquals(1, v);
        }
    }

    @Property(tries = 20)
    void binaryOpsPromoteFloatsAndRejectInt32(@ForAll DType a, @ForAll DType b) {
        Tensor x = Tensor.of(NDArray.of(new double[] {1, 2}, 2).to(a)), y = Tensor.of(NDArray.of(new double[] {3, 4}, 2).to(b));
        if (a.isFloating() && b.isFloating()) {
            Tensor s = x.add(y);
            assertEquals(resultType(a, b), s.dtype());
            assertArrayEquals(new double[] {4, 6}, s.toDoubleArray());
        } else {
            var e = assertThrows(IllegalArgumentException.class, () -> x.add(y));
            assertTrue(e.getMessage().startsWith("add: needs a floating dtype, got int32"), e.getMessage());
        }
    }

    // ---- max pooling ties ----------------------------------------------------------------

    /**
     * pow follows C (and torch.pow): 1 to any power is 1, NaN included, and (−1)^±∞ is 1, on
     * every float dtype; Math.pow would give NaN for both. Elsewhere it is Math.pow's value.
     */
    @Property(tries = 30)
    void powOfOneIsOneWhateverTheExponent(@ForAll("floatTypes") DType t, @ForAll double exponent) {
        double[] bases = {1, 1, -1, -1, 2, 0.5};
        double[] exps = {Double.NaN, exponent, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, exponent, Double.NaN};
        double[] got = NDArray.of(bases, 6).to(t).zip(BinaryOp.POW, NDArray.of(exps, 6).to(t)).toDoubleArray();
        double[] want = {1, 1, 1, 1, Math.pow(2, (double) NDArray.of(new double[] {exponent}, 1).to(t).toDoubleArray()[0]), Double.NaN};
        for (int i = 0; i < 6; i++) {
            double w = NDArray.of(new double[] {want[i]}, 1).to(t).toDoubleArray()[0];
            assertEquals(w, got[i], 0, t + ": pow(" + bases[i] + ", " + exps[i] + ")");
        }
    }

    @Provide
    Arbitrary<DType> floatTypes() {
        return Arbitraries.of(DType.FLOAT32, DType.FLOAT64, DType.BFLOAT16);
    }

    @Property(tries = 60)
    void maxPoolSendsEachWindowsGradientToItsFirstMaximum(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = 1 + r.nextInt(3), stride = 1 + r.nextInt(2), pad = r.nextInt(k / 2 + 1);
        Pool2dSpec spec = Pool2dSpec.of(k, stride, pad);
        int n = 1 + r.nextInt(2), c = 1 + r.nextInt(2);
        int h = Math.max(1, k - 2 * pad) + r.nextInt(3), w = Math.max(1, k - 2 * pad) + r.nextInt(3);
        int[] xs = {n, c, h, w};
        double[] xv = r.ints(size(xs), 0, 3).asDoubleStream().toArray(); // many ties
        Tensor x = Tensor.of(NDArray.of(xv, xs)).requiresGrad(true);
        Tensor y = Tensor.maxPool2d(x, spec);
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        assertArrayEquals(new int[] {n, c, oh, ow}, y.shape());
        double[] g = r.doubles(size(y.shape()), -1, 1).toArray(), expected = new double[xv.length], value = new double[g.length];
        for (int b = 0; b < n * c; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int first = -1; // row-major over the window; padding (-inf) never wins
                    for (int di = 0; di < k; di++)
                        for (int dj = 0; dj < k; dj++) {
                            int hi = i * stride - pad + di, wj = j * stride - pad + dj;
                            if (hi < 0 || hi >= h || wj < 0 || wj >= w) continue;
                            int at = (b * h + hi) * w + wj;
                            if (first < 0 || xv[at] > xv[first]) first = at;
                        }
                    int o = (b * oh + i) * ow + j;
                    value[o] = xv[first];
                    expected[first] += g[o];
                }
        assertArrayEquals(value, y.toDoubleArray());
        Tensor dx = Autograd.grad(y.mul(Tensor.of(NDArray.of(g, y.shape()))).sum(), x);
        assertArrayEquals(expected, dx.toDoubleArray(), 1e-12, "gradient of max pooling " + spec + " on " + java.util.Arrays.toString(xs));
    }

    private static int size(int[] shape) {
        int s = 1;
        for (int d : shape) s *= d;
        return s;
    }

    private static void unravel(int flat, int[] shape, int[] into) {
        for (int d = shape.length - 1; d >= 0; d--) {
            into[d] = flat % shape[d];
            flat /= shape[d];
        }
    }
}
