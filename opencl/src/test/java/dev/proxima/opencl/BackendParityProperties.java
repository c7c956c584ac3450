package dev.proxima.opencl;

import static dev.proxima.opencl.Pairs.*;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.UnaryOp;
import dev.proxima.testkit.OpDomains;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * CPU-vs-OpenCL parity of every kernel of the Backend SPI, on random shapes, strided views,
 * broadcasts, and float32, bfloat16 and float64 (when the device has cl_khr_fp64). The CPU
 * backend is the contract; float32 results may differ by the few ulps OpenCL allows its
 * builtins and by summation order, bfloat16 ones by the bfloat16 ulp such a difference can
 * flip ({@link Pairs#rtol}). Where both devices do the same operations in the same order
 * (moves, conversions, the correctly rounded ops) bfloat16 results are compared bit for bit,
 * and every bfloat16 kernel is checked to be its float32 kernel rounded once.
 */
@AddLifecycleHook(OpenClAvailable.class)
class BackendParityProperties {

    @Provide
    Arbitrary<int[]> shapes() {
        return Arbitraries.integers().between(1, 6).array(int[].class).ofMinSize(0).ofMaxSize(4);
    }

    @Provide
    Arbitrary<DType> floats() {
        return Arbitraries.of(DType.FLOAT32, DType.FLOAT64, DType.BFLOAT16);
    }

    private static void requireDtype(DType t) {
        Assume.that(t != DType.FLOAT64 || OpenClAvailable.backendOrNull().supportsFloat64());
    }

    // ---- bfloat16: the float32 kernels on 16-bit words, each result rounded once ----------

    /** The bits of a bfloat16 array, on whichever device. */
    private static short[] bits(NDArray x) {
        org.junit.jupiter.api.Assertions.assertEquals(DType.BFLOAT16, x.dtype());
        return x.toBFloat16Bits();
    }

    private static void assertSameBits(String what, NDArray expected, NDArray actual) {
        short[] e = bits(expected), a = bits(actual);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        for (int i = 0; i < e.length; i++)
            if (e[i] != a[i])
                throw new AssertionError(what + ": element " + i + " of shape " + Shapes.str(expected.shape()) + ": bits "
                        + Integer.toHexString(e[i] & 0xFFFF) + " (" + dev.proxima.tensor.BFloat16.toFloat(e[i]) + ") vs "
                        + Integer.toHexString(a[i] & 0xFFFF) + " (" + dev.proxima.tensor.BFloat16.toFloat(a[i]) + ")");
    }

    /** On OpenCL alone: a bfloat16 kernel gives the bits of its float32 kernel on the widened values, rounded once. */
    @Property
    void bfloat16KernelsAreTheFloat32KernelsRoundedOnce(@ForAll("shapes") int[] shape, @ForAll View view,
                                                        @ForAll boolean special, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        NDArray x = make(shape, DType.BFLOAT16, view, special ? Values.SPECIAL : Values.NORMAL, r).cl();
        NDArray y = make(shape, DType.BFLOAT16, View.BROADCAST, special ? Values.SPECIAL : Values.NORMAL, r).cl();
        NDArray xf = x.to(DType.FLOAT32), yf = y.to(DType.FLOAT32);
        for (UnaryOp op : UnaryOp.values())
            assertSameBits(op.toString(), xf.map(op).to(DType.BFLOAT16), x.map(op));
        for (BinaryOp op : BinaryOp.values())
            assertSameBits(op.toString(), xf.zip(op, yf).to(DType.BFLOAT16), x.zip(op, y));
        int[] axes = randomAxes(shape.length, r);
        for (ReduceOp op : ReduceOp.values())
            assertSameBits(op + " over " + Arrays.toString(axes), xf.reduce(op, axes, true).to(DType.BFLOAT16),
                    x.reduce(op, axes, true));
        if (shape.length > 0) {
            int axis = r.nextInt(shape.length);
            assertSameBits("softmax axis " + axis, xf.softmax(axis).to(DType.BFLOAT16), x.softmax(axis));
            assertSameBits("logSoftmax axis " + axis, xf.logSoftmax(axis).to(DType.BFLOAT16), x.logSoftmax(axis));
        }
    }

    @Property
    void bfloat16MatmulIsTheFloat32MatmulRoundedOnce(@ForAll boolean transA, @ForAll boolean transB, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int m = 1 + r.nextInt(40), k = r.nextInt(70), n = 1 + r.nextInt(70);
        NDArray a = matrix(new int[] {1 + r.nextInt(2)}, m, k, DType.BFLOAT16, transA, r).cl();
        NDArray b = matrix(new int[] {1}, k, n, DType.BFLOAT16, transB, r).cl().expand(a.shape()[0], k, n);
        assertSameBits("matmul " + Shapes.str(a.shape()) + (transA ? "^T" : "") + " x " + Shapes.str(b.shape()) + (transB ? "^T" : ""),
                a.to(DType.FLOAT32).matmul(b.to(DType.FLOAT32)).to(DType.BFLOAT16), a.matmul(b));
    }

    /**
     * CPU against OpenCL, bit for bit, where both do the same float32 operation and round once:
     * the correctly rounded arithmetic, comparisons, max/min and the moves.
     */
    @Property
    void bfloat16ExactOpsMatchTheCpuBitForBit(@ForAll("shapes") int[] shape, @ForAll View va, @ForAll View vb,
                                              @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Pair a = make(shape, DType.BFLOAT16, va, Values.SPECIAL, r), b = make(shape, DType.BFLOAT16, vb, Values.SPECIAL, r);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SQUARE, UnaryOp.RELU, UnaryOp.SIGN})
            assertSameBits(op.toString(), a.cpu().map(op), a.cl().map(op));
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.MAXIMUM, BinaryOp.MINIMUM,
                BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE})
            assertSameBits(op.toString(), a.cpu().zip(op, b.cpu()), a.cl().zip(op, b.cl()));
        int[] axes = randomAxes(shape.length, r);
        for (ReduceOp op : new ReduceOp[] {ReduceOp.MAX, ReduceOp.MIN})
            assertSameBits(op + " over " + Arrays.toString(axes), a.cpu().reduce(op, axes, false), a.cl().reduce(op, axes, false));
        assertSameBits("contiguous copy", a.cpu().contiguous(), a.cl().contiguous());
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32}) {
            if (t == DType.FLOAT64 && !OpenClAvailable.backendOrNull().supportsFloat64()) continue;
            // every int, and values from subnormal to past the largest bfloat16: rounding, ties, overflow
            double[] v = values(r, Shapes.numel(shape), Values.SPECIAL);
            for (int i = 0; i < v.length; i++) v[i] = t == DType.INT32 ? r.nextInt() : v[i] * Math.pow(2, r.nextInt(-140, 140));
            NDArray h = host(v, t, shape);
            Pair wide = new Pair(h, h.to(cl()));
            assertSameBits("to bfloat16 from " + t, wide.cpu().to(DType.BFLOAT16), wide.cl().to(DType.BFLOAT16));
            assertClose("from bfloat16 to " + t, a.cpu().to(t), a.cl().to(t), 0, 0);
        }
    }

    /** Every float32 value next to a bfloat16 tie, and every NaN payload, rounds as on the CPU. */
    @net.jqwik.api.Example
    void bfloat16RoundingOfTiesInfinitiesAndNaNs() {
        int[] patterns = {0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x7F7F8000, 0x7F7FFFFF, 0xFF7F8000, 0x7F800000,
                0xFF800000, 0x7F800001, 0xFFC00001, 0x7FBFFFFF, 0x00008000, 0x00018000, 0x80008000, 0x00000001, 0x80000000, 0};
        float[] v = new float[patterns.length];
        for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(patterns[i]);
        NDArray cpu = NDArray.of(v, v.length);
        short[] want = cpu.toBFloat16Bits(), got = cpu.to(cl()).to(DType.BFLOAT16).toBFloat16Bits();
        for (int i = 0; i < v.length; i++)
            org.junit.jupiter.api.Assertions.assertEquals(want[i], got[i], "float bits " + Integer.toHexString(patterns[i]));
        // and back: the widening is exact, the bits of a NaN survive a round trip through the device
        NDArray bits = NDArray.ofBFloat16Bits(got, got.length);
        org.junit.jupiter.api.Assertions.assertArrayEquals(got, bits.to(cl()).toBFloat16Bits());
        assertClose("widening", bits.to(DType.FLOAT32), bits.to(cl()).to(DType.FLOAT32), 0, 0);
        // Just above a tie, by less than a float32 ulp: a rounding through float32 lands on the
        // tie and goes to even; rounding once (the CPU, through double) goes up.
        NDArray ints = NDArray.of(new int[] {16842753, -16842753, Integer.MAX_VALUE, Integer.MIN_VALUE, 3}, 5);
        assertSameBits("int to bfloat16", ints.to(DType.BFLOAT16), ints.to(cl()).to(DType.BFLOAT16));
        if (OpenClAvailable.backendOrNull().supportsFloat64()) {
            NDArray d = NDArray.of(new double[] {1 + 0x1p-8 + 0x1p-40, -(1 + 0x1p-8 + 0x1p-40), 1e300, Double.NaN}, 4);
            assertSameBits("float64 to bfloat16", d.to(DType.BFLOAT16), d.to(cl()).to(DType.BFLOAT16));
        }
        NDArray above = NDArray.of(0x1p-8f + 0x1p-30f, -(0x1p-8f + 0x1p-30f));
        NDArray dc = NDArray.of(1f, -1f).to(DType.BFLOAT16), dl = NDArray.of(1f, -1f).to(DType.BFLOAT16).to(cl());
        Device.cpu().backend().copyInto(dc, above, true);
        dl.backend().copyInto(dl, above.to(cl()), true);
        assertSameBits("bfloat16 += float32", dc, dl);
    }

    @Property
    void unaryOps(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll View view, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        // NaN in, NaN out; infinities are left out here: at +-inf several ops are 0 * inf on the
        // CPU (NaN) while an OpenCL builtin may return a limit (gelu_tanh(-inf) is -inf on PoCL).
        Pair special = make(shape, t, view, Values.NAN, r);
        for (UnaryOp op : UnaryOp.values()) {
            Pair in = make(shape, t, view, OpDomains.values(op), r);
            assertClose(op + " " + t + " " + view, in.cpu().map(op), in.cl().map(op), rtol(t), atol(t));
            assertClose(op + " " + t + " " + view + " special values", special.cpu().map(op), special.cl().map(op),
                    rtol(t), atol(t));
        }
    }

    @Property
    void binaryOpsBroadcast(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll View va,
                            @ForAll View vb, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        // b broadcasts against a: drop leading dims and set some to 1.
        int lead = shape.length == 0 ? 0 : r.nextInt(shape.length + 1);
        int[] bs = Arrays.copyOfRange(shape, lead, shape.length);
        for (int i = 0; i < bs.length; i++) if (r.nextInt(3) == 0) bs[i] = 1;
        for (Values kind : new Values[] {Values.NORMAL, Values.FEW, Values.SPECIAL}) {
            Pair a = make(shape, t, va, kind, r), b = make(bs, t, vb, kind, r);
            for (BinaryOp op : BinaryOp.values()) {
                // NORMAL values: the op's own row of the shared domain table (pow's positive bases).
                Pair left = kind == Values.NORMAL ? make(shape, t, va, OpDomains.values(op).a(), r) : a;
                assertClose(op + " " + kind + " " + Shapes.str(shape) + " vs " + Shapes.str(bs),
                        left.cpu().zip(op, b.cpu()), left.cl().zip(op, b.cl()), rtol(t), atol(t));
            }
        }
    }

    @Property
    void whereWithMixedDtypes(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll DType condType,
                              @ForAll View vc, @ForAll View va, @ForAll long seed) {
        requireDtype(t);
        requireDtype(condType);
        SplittableRandom r = new SplittableRandom(seed);
        Pair cond = make(shape, condType, vc, Values.FEW, r).map(c -> condType == DType.INT32 ? c : c.sub(1.0));
        Pair a = make(shape, t, va, Values.SPECIAL, r), b = make(shape, t, View.BROADCAST, Values.NORMAL, r);
        assertClose("where cond " + condType, NDArray.where(cond.cpu(), a.cpu(), b.cpu()),
                NDArray.where(cond.cl(), a.cl(), b.cl()), 0, 0);
    }

    @Property
    void reductionsOverRandomAxes(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll View view,
                                  @ForAll ReduceOp op, @ForAll boolean special, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        Pair x = special ? make(shape, t, view, Values.SPECIAL, r)
                : op == ReduceOp.PROD ? make(shape, t, view, OpDomains.values(op), r) // products of many factors stay finite
                : make(shape, t, view, Values.NORMAL, r);
        int[] axes = randomAxes(shape.length, r);
        int len = 1;
        for (int a : (axes.length == 0 ? allAxes(shape.length) : axes)) len *= shape[a];
        boolean keep = r.nextBoolean();
        assertClose(op + " over " + Arrays.toString(axes) + " of " + Shapes.str(shape) + " " + view,
                x.cpu().reduce(op, axes, keep), x.cl().reduce(op, axes, keep), rtol(t) * 10, atol(t) * 10 * len);
    }

    @Property
    void argmaxArgminFirstIndexAndNaN(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll View view,
                                      @ForAll boolean special, @ForAll long seed) {
        requireDtype(t);
        Assume.that(shape.length > 0);
        SplittableRandom r = new SplittableRandom(seed);
        Pair x = make(shape, t, view, special ? Values.SPECIAL : Values.FEW, r);
        int axis = r.nextInt(shape.length);
        assertClose("argmax axis " + axis, x.cpu().argmax(axis, true), x.cl().argmax(axis, true), 0, 0);
        assertClose("argmin axis " + axis, x.cpu().argmin(axis, false), x.cl().argmin(axis, false), 0, 0);
    }

    @Property
    void softmaxAndLogSoftmax(@ForAll("shapes") int[] shape, @ForAll("floats") DType t, @ForAll View view,
                              @ForAll boolean minusInfRow, @ForAll long seed) {
        requireDtype(t);
        Assume.that(shape.length > 0);
        SplittableRandom r = new SplittableRandom(seed);
        int axis = r.nextInt(shape.length);
        Pair x = make(shape, t, view, Values.NORMAL, r);
        if (minusInfRow) {
            // Row 0 along the other axes entirely -inf: softmax gives NaN there on both backends.
            double[] v = x.cpu().toDoubleArray();
            int[] strides = Shapes.contiguousStrides(shape);
            for (int i = 0; i < v.length; i++) {
                boolean firstRow = true;
                for (int d = 0; d < shape.length; d++)
                    if (d != axis && (i / strides[d]) % shape[d] != 0) firstRow = false;
                if (firstRow) v[i] = Double.NEGATIVE_INFINITY;
            }
            NDArray c = host(v, t, shape);
            x = new Pair(c, c.to(cl()));
        }
        assertClose("softmax axis " + axis, x.cpu().softmax(axis), x.cl().softmax(axis), rtol(t), atol(t));
        assertClose("logSoftmax axis " + axis, x.cpu().logSoftmax(axis), x.cl().logSoftmax(axis), rtol(t), atol(t) * 10);
    }

    @Property
    void matmulBatchedTransposedBroadcast(@ForAll("floats") DType t, @ForAll boolean transA, @ForAll boolean transB,
                                          @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        int m = 1 + r.nextInt(40), k = r.nextInt(40), n = 1 + r.nextInt(70);
        int nb = r.nextInt(3);
        int[] batchA = new int[nb], batchB = new int[nb];
        for (int i = 0; i < nb; i++) {
            int s = 1 + r.nextInt(3);
            batchA[i] = r.nextInt(3) == 0 ? 1 : s;
            batchB[i] = r.nextInt(3) == 0 ? 1 : s;
        }
        Pair a = matrix(batchA, m, k, t, transA, r), b = matrix(batchB, k, n, t, transB, r);
        assertClose("matmul " + Shapes.str(a.cpu().shape()) + (transA ? "^T" : "") + " x " + Shapes.str(b.cpu().shape())
                        + (transB ? "^T" : ""), a.cpu().matmul(b.cpu()), a.cl().matmul(b.cl()),
                rtol(t) * 10, atol(t) * 10 * (k + 1));
    }

    /** A [batch..., rows, cols] operand, stored transposed (a strided view) when asked. */
    private static Pair matrix(int[] batch, int rows, int cols, DType t, boolean transposed, SplittableRandom r) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = transposed ? cols : rows;
        s[batch.length + 1] = transposed ? rows : cols;
        Pair p = make(s, t, View.CONTIGUOUS, Values.NORMAL, r);
        return transposed ? p.map(NDArray::mT) : p;
    }

    @Property
    void gatherAlongRandomAxis(@ForAll("shapes") int[] shape, @ForAll DType t, @ForAll View view, @ForAll long seed) {
        requireDtype(t);
        Assume.that(shape.length > 0);
        SplittableRandom r = new SplittableRandom(seed);
        int axis = r.nextInt(shape.length);
        Pair x = make(shape, t, view, Values.SPECIAL, r);
        Pair index = indices(shape, axis, r);
        assertClose("gather axis " + axis, Device.cpu().backend().gather(x.cpu(), axis, index.cpu()),
                x.cl().backend().gather(x.cl(), axis, index.cl()), 0, 0);
    }

    @Property
    void scatterAddCollidingIndices(@ForAll("shapes") int[] shape, @ForAll DType t, @ForAll View view,
                                    @ForAll long seed) {
        requireDtype(t);
        Assume.that(shape.length > 0);
        SplittableRandom r = new SplittableRandom(seed);
        int axis = r.nextInt(shape.length);
        Pair index = indices(shape, axis, r);
        int[] srcShape = index.cpu().shape();
        Pair src = make(srcShape, t, view, t == DType.INT32 ? Values.FEW : Values.NORMAL, r);
        // bfloat16 on OpenCL adds in float32 and rounds once (the CPU rounds after every add):
        // its reference is the CPU's float32 scatter-add, rounded once.
        DType ct = t == DType.BFLOAT16 ? DType.FLOAT32 : t;
        NDArray dc = NDArray.zeros(ct, Device.cpu(), shape), dl = NDArray.zeros(t, cl(), shape);
        Device.cpu().backend().scatterAdd(dc, axis, index.cpu(), src.cpu().to(ct));
        dl.backend().scatterAdd(dl, axis, index.cl(), src.cl());
        assertClose("scatterAdd axis " + axis, dc.to(t), dl, rtol(t), atol(t) * 100);
    }

    /** INT32 indices into {@code shape} along {@code axis}: other dims no larger, axis any length, with repeats. */
    private static Pair indices(int[] shape, int axis, SplittableRandom r) {
        int[] s = shape.clone();
        for (int d = 0; d < s.length; d++) s[d] = d == axis ? 1 + r.nextInt(7) : 1 + r.nextInt(shape[d]);
        int[] v = new int[Shapes.numel(s)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(shape[axis]);
        NDArray c = NDArray.wrap(Device.cpu().backend().upload(v), s);
        Pair p = new Pair(c, c.to(cl()));
        return r.nextBoolean() || s.length < 2 ? p : p.map(x -> x.mT().contiguous().mT()); // a strided index
    }

    // ---- the fused kernels: the CPU's against OpenCL's (the composed defaults there) ----

    @Property(tries = 60)
    void conv2dAndItsAdjoints(@ForAll("floats") DType t, @ForAll View view, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        int g = 1 + r.nextInt(2), kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        Conv2dSpec s = new Conv2dSpec(1 + r.nextInt(2), 1 + r.nextInt(2), r.nextInt(2), r.nextInt(2), 1 + r.nextInt(2), 1 + r.nextInt(2), g);
        int h = s.dilationH() * (kh - 1) + 1 + r.nextInt(5), w = s.dilationW() * (kw - 1) + 1 + r.nextInt(5);
        int[] xs = {1 + r.nextInt(3), g * (1 + r.nextInt(3)), h, w}, ws = {g * (1 + r.nextInt(3)), xs[1] / g, kh, kw};
        int[] ys = {xs[0], ws[0], s.outH(h, kh), s.outW(w, kw)};
        Pair x = make(xs, t, view, Values.NORMAL, r), wt = make(ws, t, View.CONTIGUOUS, Values.NORMAL, r);
        Pair gy = make(ys, t, view, Values.NORMAL, r);
        double tol = atol(t) * 100;
        assertClose("conv2d " + s, NDArray.conv2d(x.cpu(), wt.cpu(), s), NDArray.conv2d(x.cl(), wt.cl(), s), rtol(t), tol);
        assertClose("conv2dBackwardInput " + s, NDArray.conv2dBackwardInput(gy.cpu(), wt.cpu(), xs, s),
                NDArray.conv2dBackwardInput(gy.cl(), wt.cl(), xs, s), rtol(t), tol);
        assertClose("conv2dBackwardWeight " + s, NDArray.conv2dBackwardWeight(x.cpu(), gy.cpu(), ws, s),
                NDArray.conv2dBackwardWeight(x.cl(), gy.cl(), ws, s), rtol(t), tol);
    }

    @Property(tries = 60)
    void maxPool2dIndicesFirstMaximum(@ForAll("floats") DType t, @ForAll View view, @ForAll boolean few, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        Pool2dSpec p = new Pool2dSpec(kh, kw, 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(kh / 2 + 1), r.nextInt(kw / 2 + 1));
        int[] xs = {1 + r.nextInt(2), 1 + r.nextInt(3), kh + r.nextInt(5), kw + r.nextInt(5)};
        // FEW values: many ties, where the first maximum must win on both devices
        Pair x = make(xs, t, view, few ? Values.FEW : Values.NORMAL, r);
        assertClose("maxPool2dIndices " + p, x.cpu().maxPool2dIndices(p), x.cl().maxPool2dIndices(p), 0, 0);
    }

    @Property(tries = 60)
    void batchNormForwardBackwardStats(@ForAll("floats") DType t, @ForAll View view, @ForAll long seed) {
        requireDtype(t);
        SplittableRandom r = new SplittableRandom(seed);
        int[] xs = new int[2 + r.nextInt(3)];
        for (int i = 0; i < xs.length; i++) xs[i] = 1 + r.nextInt(5);
        xs[0] = 2 + r.nextInt(4);
        Pair x = make(xs, t, view, Values.NORMAL, r), g = make(xs, t, view, Values.NORMAL, r);
        Pair w = make(new int[] {xs[1]}, t, View.CONTIGUOUS, Values.NORMAL, r), b = make(new int[] {xs[1]}, t, View.CONTIGUOUS, Values.NORMAL, r);
        double tol = atol(t) * 1000;
        assertClose("batchNormStats", x.cpu().batchNormStats(), x.cl().batchNormStats(), rtol(t) * 10, tol);
        assertClose("batchNorm", x.cpu().batchNorm(w.cpu(), b.cpu(), 1e-5), x.cl().batchNorm(w.cl(), b.cl(), 1e-5), rtol(t) * 10, tol);
        NDArray[] dc = x.cpu().batchNormBackward(w.cpu(), g.cpu(), 1e-5), dl = x.cl().batchNormBackward(w.cl(), g.cl(), 1e-5);
        // The backward reads x̂ = (x - mean) / sqrt(var + eps), whose rounding error is the
        // mean's times 1 / sqrt(var + eps): up to 316x for a constant channel (a BROADCAST
        // view makes them), where the CPU's exact mean gives x̂ = 0 and another summation
        // order gives x̂ ~ ulp * 316. The tolerance grows with that condition number.
        double maxAbs = 0, maxG = 0, minVar = Double.POSITIVE_INFINITY;
        for (double v : x.cpu().toDoubleArray()) maxAbs = Math.max(maxAbs, Math.abs(v));
        for (double v : g.cpu().toDoubleArray()) maxG = Math.max(maxG, Math.abs(v));
        double[] var = varianceByChannel(x.cpu());
        for (double v : var) minVar = Math.min(minVar, v);
        double kappa = Math.max(1, maxAbs / Math.sqrt(minVar + 1e-5) / 100);
        // In a constant channel the exact x̂ is 0 and the backward's value is the rounding of
        // the mean alone: at most count·u·max|x| in the mean, over sqrt(eps) in x̂, summed
        // against g over the channel's count elements (the weight's gradient). Only there.
        int channels = xs[1], count = Shapes.numel(xs) / channels;
        double u = t == DType.FLOAT64 ? 0x1p-53 : t == DType.BFLOAT16 ? 0x1p-8 : 0x1p-24;
        double[] tolByChannel = new double[channels];
        for (int c = 0; c < channels; c++)
            tolByChannel[c] = tol * kappa + (var[c] == 0 ? (double) count * count * u * maxAbs * maxG / Math.sqrt(1e-5) : 0);
        for (int i = 0; i < 3; i++) assertCloseByChannel("batchNormBackward " + i, dc[i], dl[i], channels, rtol(t) * 10, tolByChannel);
    }

    /**
     * {@link Pairs#assertClose} with an absolute tolerance per channel: axis 1 of an [N, C, ...]
     * result, or the only axis of a [C] one.
     */
    private static void assertCloseByChannel(String what, NDArray expected, NDArray actual, int channels, double rtol, double[] atol) {
        assertClose(what, expected, actual, rtol, Arrays.stream(atol).max().orElseThrow());
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        int inner = expected.shape().length == 1 ? 1 : e.length / expected.shape()[0] / channels;
        for (int i = 0; i < e.length; i++) {
            int c = (i / inner) % channels;
            if (e[i] == a[i] || (Double.isNaN(e[i]) && Double.isNaN(a[i]))) continue;
            if (!(Math.abs(a[i] - e[i]) <= atol[c] + rtol * Math.abs(e[i])))
                throw new AssertionError(what + ": element " + i + " (channel " + c + ") of shape " + Arrays.toString(expected.shape())
                        + ": cpu " + e[i] + " vs opencl " + a[i] + " (rtol " + rtol + ", atol " + atol[c] + ")");
        }
    }

    /** The population variance of each channel (axis 1) of x [N, C, ...], in float64. */
    private static double[] varianceByChannel(NDArray x) {
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], inner = 1;
        for (int i = 2; i < xs.length; i++) inner *= xs[i];
        double[] v = x.toDoubleArray(), out = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            for (int b = 0; b < n; b++) for (int k = 0; k < inner; k++) sum += v[(b * c + ch) * inner + k];
            double mean = sum / (n * inner);
            for (int b = 0; b < n; b++) for (int k = 0; k < inner; k++) sq += Math.pow(v[(b * c + ch) * inner + k] - mean, 2);
            out[ch] = sq / (n * inner);
        }
        return out;
    }

    @Property
    void copyIntoConvertsAndAccumulates(@ForAll("shapes") int[] shape, @ForAll DType dst, @ForAll DType src,
                                        @ForAll View srcView, @ForAll boolean permuteDst, @ForAll boolean accumulate,
                                        @ForAll long seed) {
        requireDtype(dst);
        requireDtype(src);
        SplittableRandom r = new SplittableRandom(seed);
        Pair s = make(shape, src, srcView, src == DType.INT32 ? Values.FEW : Values.SPECIAL, r);
        if (dst == DType.INT32 && src != DType.INT32) // truncation, saturation, NaN -> 0
            s = s.map(x -> x.mul(1e9));
        // dst: a fresh base (random values) viewed without overlap: permuted or a strided slice.
        int[] perm = Pairs.shuffled(shape.length, r);
        int[] base = shape.clone();
        if (permuteDst) for (int i = 0; i < shape.length; i++) base[perm[i]] = shape[i];
        else if (shape.length > 0) base[0] = 2 * shape[0];
        NDArray bc = host(values(r, Shapes.numel(base), Values.FEW), dst, base);
        NDArray bl = bc.to(cl());
        java.util.function.UnaryOperator<NDArray> view = x -> permuteDst ? x.permute(perm)
                : shape.length > 0 ? x.slice(0, 0, 2 * shape[0], 2) : x;
        Device.cpu().backend().copyInto(view.apply(bc), s.cpu(), accumulate);
        bl.backend().copyInto(view.apply(bl), s.cl(), accumulate);
        assertClose("copyInto " + dst + " <- " + src + (accumulate ? " (+=)" : ""), bc, bl,
                dst == DType.FLOAT64 ? 1e-15 : dst == DType.FLOAT32 ? 1e-7 : 0, 0);
    }

    @Property
    void uploadDownloadAllocate(@ForAll("shapes") int[] shape, @ForAll DType t, @ForAll View view, @ForAll long seed) {
        requireDtype(t);
        Pair x = make(shape, t, view, t == DType.INT32 ? Values.FEW : Values.SPECIAL, new SplittableRandom(seed));
        assertClose("download of a view", x.cpu(), x.cl(), 0, 0);
        NDArray back = x.cl().to(Device.cpu());
        assertClose("round trip", back, back.to(cl()), 0, 0);
        assertClose("allocate zero-fills", NDArray.zeros(t, Device.cpu(), shape), NDArray.zeros(t, cl(), shape), 0, 0);
    }

    private static int[] randomAxes(int nd, SplittableRandom r) {
        int[] pick = new int[nd];
        int k = 0;
        for (int d = 0; d < nd; d++) if (r.nextBoolean()) pick[k++] = d;
        return Arrays.copyOf(pick, k); // empty: all axes
    }

    private static int[] allAxes(int nd) {
        int[] a = new int[nd];
        for (int i = 0; i < nd; i++) a[i] = i;
        return a;
    }
}
