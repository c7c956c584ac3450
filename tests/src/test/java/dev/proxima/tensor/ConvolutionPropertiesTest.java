package dev.proxima.tensor;

import static dev.proxima.testkit.TestArrays.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * unfold2d, fold2d (NDArray primitives) and Tensor's conv2d and pooling compositions against
 * direct nested-loop references; their gradients (vector-Jacobian products) against the
 * references' adjoints.
 */
class ConvolutionPropertiesTest {

    private static NDArray conv2d(NDArray x, NDArray w, Conv2dSpec s) {
        return Tensor.conv2d(Tensor.of(x), Tensor.of(w), s).data();
    }

    /** d<g, f(x...)>/d(inputs): the VJP of f at the inputs with cotangent g. */
    private static List<Tensor> vjp(java.util.function.Function<List<Tensor>, Tensor> f, NDArray g, NDArray... inputs) {
        List<Tensor> leaves = new java.util.ArrayList<>();
        for (NDArray x : inputs) leaves.add(Tensor.of(x).requiresGrad(true));
        Tensor out = f.apply(leaves);
        return Autograd.grad(List.of(out), leaves, List.of(Tensor.of(g)), false, false, false);
    }

    // ---- random geometry ---------------------------------------------------------------

    private record ConvCase(int[] xs, int[] ws, Conv2dSpec spec) {
        int[] outShape() {
            return new int[] {xs[0], ws[0], spec.outH(xs[2], ws[2]), spec.outW(xs[3], ws[3])};
        }
    }

    private static ConvCase randomConv(SplittableRandom r) {
        int g = 1 + r.nextInt(3), kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        Conv2dSpec s = new Conv2dSpec(1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(3), r.nextInt(3),
                1 + r.nextInt(2), 1 + r.nextInt(2), g);
        int h = Math.max(1, s.dilationH() * (kh - 1) + 1 - 2 * s.padH() + r.nextInt(4));
        int w = Math.max(1, s.dilationW() * (kw - 1) + 1 - 2 * s.padW() + r.nextInt(4));
        int cg = 1 + r.nextInt(2), og = 1 + r.nextInt(2);
        return new ConvCase(new int[] {1 + r.nextInt(2), g * cg, h, w}, new int[] {g * og, cg, kh, kw}, s);
    }

    private static Pool2dSpec randomPool(SplittableRandom r) {
        int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        return new Pool2dSpec(kh, kw, 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(kh / 2 + 1), r.nextInt(kw / 2 + 1));
    }

    private static int[] poolInput(SplittableRandom r, Pool2dSpec p) {
        return new int[] {1 + r.nextInt(2), 1 + r.nextInt(3),
                Math.max(1, p.kernelH() - 2 * p.padH() + r.nextInt(4)), Math.max(1, p.kernelW() - 2 * p.padW() + r.nextInt(4))};
    }

    // ---- references, written for clarity -----------------------------------------------

    private static double[] unfoldRef(double[] x, int[] xs, int kh, int kw, Conv2dSpec s) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], oh = s.outH(h, kh), ow = s.outW(w, kw);
        int rows = c * kh * kw, l = oh * ow;
        double[] out = new double[n * rows * l];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        for (int y = 0; y < oh; y++)
                            for (int z = 0; z < ow; z++) {
                                int hy = y * s.strideH() - s.padH() + i * s.dilationH();
                                int wz = z * s.strideW() - s.padW() + j * s.dilationW();
                                int row = (ch * kh + i) * kw + j;
                                if (hy >= 0 && hy < h && wz >= 0 && wz < w)
                                    out[(b * rows + row) * l + y * ow + z] = x[((b * c + ch) * h + hy) * w + wz];
                            }
        return out;
    }

    private static double[] convRef(double[] x, int[] xs, double[] wt, int[] ws, Conv2dSpec s) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], og = o / s.groups();
        int oh = s.outH(h, kh), ow = s.outW(w, kw);
        double[] out = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        double sum = 0;
                        for (int ic = 0; ic < cg; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int ch = (oc / og) * cg + ic;
                                    int hy = y * s.strideH() - s.padH() + i * s.dilationH();
                                    int wz = z * s.strideW() - s.padW() + j * s.dilationW();
                                    if (hy >= 0 && hy < h && wz >= 0 && wz < w)
                                        sum += x[((b * c + ch) * h + hy) * w + wz] * wt[((oc * cg + ic) * kh + i) * kw + j];
                                }
                        out[((b * o + oc) * oh + y) * ow + z] = sum;
                    }
        return out;
    }

    /** Visits each pooling window: output position, then its in-range input positions in row-major kernel order. */
    private interface WindowVisitor {
        void visit(int outIndex, int[] inIndices, int count);
    }

    private static void forEachWindow(int[] xs, Pool2dSpec p, WindowVisitor v) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        Conv2dSpec s = p.windows();
        int oh = s.outH(h, p.kernelH()), ow = s.outW(w, p.kernelW());
        int[] in = new int[p.kernelH() * p.kernelW()];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        int count = 0;
                        for (int i = 0; i < p.kernelH(); i++)
                            for (int j = 0; j < p.kernelW(); j++) {
                                int hy = y * p.strideH() - p.padH() + i, wz = z * p.strideW() - p.padW() + j;
                                if (hy >= 0 && hy < h && wz >= 0 && wz < w) in[count++] = ((b * c + ch) * h + hy) * w + wz;
                            }
                        v.visit(((b * c + ch) * oh + y) * ow + z, in, count);
                    }
    }

    private static int firstMax(double[] x, int[] in, int count) {
        int best = in[0];
        for (int k = 1; k < count; k++) if (x[in[k]] > x[best]) best = in[k];
        return best;
    }

    // ---- properties --------------------------------------------------------------------

    @Property
    void unfold2dMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ConvCase c = randomConv(r);
        int kh = c.ws[2], kw = c.ws[3];
        NDArray x = randomView(r, c.xs);
        double[] expected = unfoldRef(x.toDoubleArray(), c.xs, kh, kw, c.spec);
        int[] o = c.outShape();
        assertClose(expected, new int[] {c.xs[0], c.xs[1] * kh * kw, o[2] * o[3]}, x.unfold2d(kh, kw, c.spec), 0);
    }

    @Property
    void fold2dIsTheAdjointOfUnfold2d(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ConvCase c = randomConv(r);
        int kh = c.ws[2], kw = c.ws[3];
        NDArray x = randomView(r, c.xs);
        NDArray cols = x.unfold2d(kh, kw, c.spec);
        NDArray y = randomView(r, cols.shape());
        NDArray folded = NDArray.fold2d(y, c.xs, kh, kw, c.spec);
        assertArrayEquals(c.xs, folded.shape());
        assertAdjoint(dot(cols, y), dot(x, folded));
    }

    @Property
    void conv2dMatchesReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ConvCase c = randomConv(r);
        NDArray x = randomView(r, c.xs), w = randomView(r, c.ws);
        double[] expected = convRef(x.toDoubleArray(), c.xs, w.toDoubleArray(), c.ws, c.spec);
        assertClose(expected, c.outShape(), conv2d(x, w, c.spec), 1e-12);
    }

    @Property
    void conv2dGradientsAreItsAdjoints(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ConvCase c = randomConv(r);
        NDArray x = randomView(r, c.xs), w = randomView(r, c.ws), g = randomView(r, c.outShape());
        double forward = dot(conv2d(x, w, c.spec), g);
        List<Tensor> grads = vjp(in -> Tensor.conv2d(in.get(0), in.get(1), c.spec), g, x, w);
        NDArray dx = grads.get(0).data(), dw = grads.get(1).data();
        assertArrayEquals(c.xs, dx.shape());
        assertArrayEquals(c.ws, dw.shape());
        assertAdjoint(forward, dot(x, dx));
        assertAdjoint(forward, dot(w, dw));
    }

    /**
     * float32 with stride 1 is the CPU's direct convolution (an implicit im2col over a padded
     * image; dev.proxima.tensor.cpu.DirectConv) on the Vector API path: its value and both
     * gradients against the float64 composition at the same (rounded) inputs. Channel counts
     * up to 9 and maps up to 13 wide leave partial register tiles in every direction.
     */
    @Property(tries = 200)
    void float32StrideOneConvolutionMatchesFloat64(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int g = 1 + r.nextInt(2), kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        Conv2dSpec s = new Conv2dSpec(1, 1, r.nextInt(3), r.nextInt(3), 1 + r.nextInt(2), 1 + r.nextInt(2), g);
        int h = Math.max(1, s.dilationH() * (kh - 1) + 1 - 2 * s.padH() + r.nextInt(11));
        int w = Math.max(1, s.dilationW() * (kw - 1) + 1 - 2 * s.padW() + r.nextInt(11));
        ConvCase c = new ConvCase(new int[] {1 + r.nextInt(3), g * (1 + r.nextInt(5)), h, w},
                new int[] {g * (1 + r.nextInt(9)), 0, kh, kw}, s);
        c.ws[1] = c.xs[1] / g;
        NDArray x = randomView(r, c.xs).to(DType.FLOAT32), wt = randomView(r, c.ws).to(DType.FLOAT32);
        NDArray gy = randomView(r, c.outShape()).to(DType.FLOAT32);
        NDArray x64 = x.to(DType.FLOAT64), w64 = wt.to(DType.FLOAT64), g64 = gy.to(DType.FLOAT64);
        // float32 rounding grows with the terms each element sums: 2e-6 per term, relative to 1 + |value|
        int[] o = c.outShape();
        double perTerm = 2e-6, forwardTol = perTerm * c.ws[1] * kh * kw, inputTol = perTerm * c.ws[0] / g * kh * kw,
                weightTol = perTerm * o[0] * o[2] * o[3];
        assertClose(conv2d(x64, w64, s).toDoubleArray(), o, conv2d(x, wt, s), forwardTol);
        List<Tensor> exact = vjp(in -> Tensor.conv2d(in.get(0), in.get(1), s), g64, x64, w64);
        List<Tensor> single = vjp(in -> Tensor.conv2d(in.get(0), in.get(1), s), gy, x, wt);
        assertEquals(DType.FLOAT32, single.get(0).dtype());
        assertClose(exact.get(0).data().toDoubleArray(), c.xs, single.get(0).data(), inputTol);
        assertClose(exact.get(1).data().toDoubleArray(), c.ws, single.get(1).data(), weightTol);
    }

    @Property
    void maxPool2dAndItsGradientMatchReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Pool2dSpec p = randomPool(r);
        int[] xs = poolInput(r, p);
        NDArray x = randomView(r, xs, true); // small integers: ties must go to the first maximum
        NDArray out = Tensor.maxPool2d(Tensor.of(x), p).data();
        NDArray g = randomView(r, out.shape());
        double[] xv = x.toDoubleArray(), gv = g.toDoubleArray();
        double[] expected = new double[out.size()], grad = new double[xv.length];
        forEachWindow(xs, p, (o, in, count) -> {
            int best = firstMax(xv, in, count);
            expected[o] = xv[best];
            grad[best] += gv[o];
        });
        assertClose(expected, out.shape(), out, 0);
        assertClose(grad, xs, vjp(in -> Tensor.maxPool2d(in.get(0), p), g, x).get(0).data(), 1e-14);
    }

    /**
     * A plane past 2^24 elements, where a float32 lane can no longer hold every index: the
     * maximum in the last window sits at the odd flat index h·w − 1 = 16,793,603, which float32
     * would round to its even neighbour.
     */
    @Test
    void maxPool2dIndicesOfAPlanePast2To24AreExact() {
        int side = 4098; // 4098² = 16,793,604 > 2^24
        float[] v = new float[side * side];
        v[v.length - 1] = 1;
        int[] idx = NDArray.of(v, 1, 1, side, side).maxPool2dIndices(Pool2dSpec.of(2)).toIntArray();
        assertEquals(side * side - 1, idx[idx.length - 1]);
        assertEquals(0, idx[0], "window (0, 0), all zeros: its first element");
    }

    /**
     * float32 max-pool indices (the CPU has a kernel of its own for 2x2 windows at stride 2,
     * every other geometry shares float64's; with the Vector API it takes one vector of windows
     * at a time) are float64's on the same values: small integers for ties, and NaN now and
     * then (the first NaN of a window wins). Rows up to 85 wide give several vectors of windows
     * and a partial one, at 8 and 16 lanes; small arrays end within a vector's reach.
     */
    @Property
    void maxPool2dIndicesInFloat32AreFloat64s(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Pool2dSpec p = r.nextBoolean() ? Pool2dSpec.of(2) : randomPool(r);
        int[] xs = poolInput(r, p);
        xs[2] += r.nextInt(6);
        xs[3] += r.nextInt(r.nextBoolean() ? 6 : 80);
        double[] v = new double[xs[0] * xs[1] * xs[2] * xs[3]];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(10) == 0 ? Double.NaN : r.nextInt(4);
        NDArray x = NDArray.of(v, xs);
        assertArrayEquals(x.maxPool2dIndices(p).toIntArray(), x.to(DType.FLOAT32).maxPool2dIndices(p).toIntArray());
    }

    @Property
    void avgPool2dAndItsGradientMatchReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Pool2dSpec p = randomPool(r);
        int[] xs = poolInput(r, p);
        NDArray x = randomView(r, xs);
        NDArray out = Tensor.avgPool2d(Tensor.of(x), p).data();
        NDArray g = randomView(r, out.shape());
        double[] xv = x.toDoubleArray(), gv = g.toDoubleArray();
        double[] expected = new double[out.size()], grad = new double[xv.length];
        int k = p.kernelH() * p.kernelW();
        forEachWindow(xs, p, (o, in, count) -> {
            for (int i = 0; i < count; i++) {
                expected[o] += xv[in[i]] / k; // padding counts as zeros in the window
                grad[in[i]] += gv[o] / k;
            }
        });
        assertClose(expected, out.shape(), out, 1e-12);
        NDArray dx = vjp(in -> Tensor.avgPool2d(in.get(0), p), g, x).get(0).data();
        assertClose(grad, xs, dx, 1e-12);
        assertAdjoint(dot(out, g), dot(x, dx));
    }

    // ---- dtypes ------------------------------------------------------------------------

    @Test
    void float32AgreesWithFloat64AndMixedOperandsPromote() {
        SplittableRandom r = new SplittableRandom(7);
        Conv2dSpec s = new Conv2dSpec(2, 1, 1, 2, 1, 2, 2);
        NDArray x = randomView(r, 2, 4, 9, 8), w = randomView(r, 6, 2, 3, 3);
        NDArray exact = conv2d(x, w, s);
        NDArray single = conv2d(x.to(DType.FLOAT32), w.to(DType.FLOAT32), s);
        assertEquals(DType.FLOAT32, single.dtype());
        assertTrue(single.allClose(exact, 1e-4, 1e-4));
        NDArray mixed = conv2d(x.to(DType.FLOAT32), w, s);
        assertEquals(DType.FLOAT64, mixed.dtype());
        assertTrue(mixed.allClose(exact, 1e-6, 1e-6));
        NDArray g = NDArray.ones(DType.FLOAT64, exact.shape());
        assertEquals(DType.FLOAT32, vjp(in -> Tensor.conv2d(in.get(0), in.get(1), s), g, x.to(DType.FLOAT32), w).get(0).dtype(),
                "each input's gradient comes back in its own dtype");
        assertEquals(DType.FLOAT32, vjp(in -> Tensor.maxPool2d(in.get(0), Pool2dSpec.of(2)), NDArray.ones(DType.FLOAT32, 2, 4, 4, 4),
                x.to(DType.FLOAT32)).get(0).dtype());
    }

    // ---- errors ------------------------------------------------------------------------

    @Test
    void errorsNameTheOpAndShapes() {
        NDArray x = NDArray.zeros(2, 3, 8, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> conv2d(x, NDArray.zeros(4, 2, 3, 3), Conv2dSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("conv2d: input [2, 3, 8, 8] has 3 channels but weight [4, 2, 3, 3] expects 2 (groups=1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> conv2d(NDArray.zeros(2, 4, 8, 8), NDArray.zeros(3, 2, 3, 3), Conv2dSpec.DEFAULT.withGroups(2)));
        assertTrue(e.getMessage().contains("3 output channels must divide by groups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conv2d(NDArray.zeros(3, 8, 8), NDArray.zeros(4, 3, 3, 3), Conv2dSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("conv2d: input [3, 8, 8] and weight [4, 3, 3, 3] must be [N, C, H, W]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conv2d(x, NDArray.zeros(4, 3, 9, 3), Conv2dSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("conv2d: input [2, 3, 8, 8] is smaller than the dilated kernel [4, 3, 9, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NDArray.fold2d(NDArray.zeros(2, 27, 35), x.shape(), 3, 3, Conv2dSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("fold2d: columns [2, 27, 35] do not match input shape [2, 3, 8, 8] with kernel 3x3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.maxPool2d(Tensor.zeros(1, 1, 2, 2), Pool2dSpec.of(3)));
        assertEquals("maxPool2d: kernel 3x3 does not fit input [1, 1, 2, 2] padded by 0x0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pool2dSpec.of(3, 1, 2));
        assertEquals("Pool2dSpec: padding 2x2 exceeds half the kernel 3x3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.of(0, 1));
        assertTrue(e.getMessage().startsWith("Conv2dSpec: stride 0x0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> conv2d(NDArray.zeros(DType.INT32, 1, 1, 3, 3), NDArray.zeros(1, 1, 1, 1), Conv2dSpec.DEFAULT));
        assertEquals("conv2d: needs floating tensors, got int32 input [1, 1, 3, 3] and float32 weight [1, 1, 1, 1]", e.getMessage());
    }
}
