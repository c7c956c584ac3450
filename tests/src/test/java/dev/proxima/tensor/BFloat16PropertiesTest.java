package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.testkit.Gen;
import dev.proxima.testkit.Gen.Built;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.Gen.Layout;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * bfloat16 arrays: conversions of whole arrays and views (element by element against
 * {@link BFloat16}, whose rounding BFloat16Test checks against BigDecimal), copies into views,
 * and kernels, which must give the float32 result of the widened operands rounded once.
 */
class BFloat16PropertiesTest {
    static final Domain WIDE = Domain.range(-1e4, 1e4);

    @Provide
    Arbitrary<Layout> layouts() {
        return Gen.layouts();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    private static short[] bits(NDArray x) {
        assertEquals(DType.BFLOAT16, x.dtype());
        return x.toBFloat16Bits();
    }

    // ---- conversions -------------------------------------------------------------------

    /** float32 and float64 arrays (any view) narrow element by element, rounded once from the source type. */
    @Property
    void narrowingRoundsEachElementOnce(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        Built f = layout.build(DType.FLOAT32, WIDE, seed);
        float[] fv = f.array().toFloatArray();
        short[] fb = bits(f.array().to(DType.BFLOAT16));
        for (int i = 0; i < fv.length; i++) assertEquals(BFloat16.fromFloat(fv[i]), fb[i], "float32 element " + i + " of " + layout);
        Built d = layout.build(DType.FLOAT64, WIDE, seed);
        double[] dv = d.array().toDoubleArray();
        short[] db = bits(d.array().to(DType.BFLOAT16));
        for (int i = 0; i < dv.length; i++) assertEquals(BFloat16.fromDouble(dv[i]), db[i], "float64 element " + i + " of " + layout);
    }

    /** Widening is exact, and float32 -> bfloat16 -> float32 -> bfloat16 gives the same bits. */
    @Property
    void wideningIsExactAndRoundTrips(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        NDArray h = layout.build(DType.FLOAT32, WIDE, seed).array().to(DType.BFLOAT16);
        short[] b = bits(h);
        float[] f = h.to(DType.FLOAT32).toFloatArray();
        double[] d = h.to(DType.FLOAT64).toDoubleArray();
        for (int i = 0; i < b.length; i++) {
            assertEquals(BFloat16.toFloat(b[i]), f[i]);
            assertEquals(BFloat16.toFloat(b[i]), d[i]);
        }
        assertArrayEquals(b, bits(h.to(DType.FLOAT32).to(DType.BFLOAT16)));
        assertArrayEquals(b, bits(h.to(DType.FLOAT64).to(DType.BFLOAT16)));
        assertArrayEquals(f, h.toFloatArray());
    }

    @Example
    void specialValuesSurviveArrays() {
        float[] v = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE, Float.MIN_VALUE,
                Float.intBitsToFloat(0x00010000), 1e-40f, -3.3895314e38f};
        short[] b = bits(NDArray.of(v).to(DType.BFLOAT16));
        short[] want = {0, (short) 0x8000, 0x7F80, (short) 0xFF80, 0x7FC0, 0x7F80, 0, 1, BFloat16.fromFloat(1e-40f), (short) 0xFF7F};
        assertArrayEquals(want, b);
        assertEquals("array([0.000, -0.000, Infinity, -Infinity, NaN], shape=[5], dtype=bfloat16)",
                NDArray.ofBFloat16Bits(new short[] {0, (short) 0x8000, 0x7F80, (short) 0xFF80, 0x7FC0}, 5).toString());
        assertEquals("array([[1.000, -2.500]], shape=[1, 2], dtype=bfloat16)",
                NDArray.of(new float[] {1, -2.5f}, 1, 2).to(DType.BFLOAT16).toString());
    }

    // ---- views and copies --------------------------------------------------------------

    /** A bfloat16 view copied by contiguous(), concat and pad keeps the bits of its elements. */
    @Property
    void copiesOfViewsKeepTheBits(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        NDArray x = layout.build(DType.BFLOAT16, WIDE, seed).array();
        short[] want = bits(x);
        assertArrayEquals(want, (short[]) x.backend().download(x.contiguous()));
        if (x.ndim() == 0) return;
        NDArray twice = NDArray.concat(0, x, x);
        assertEquals(DType.BFLOAT16, twice.dtype());
        assertArrayEquals(want, bits(twice.slice(0, 0, x.shape(0))));
        assertArrayEquals(want, bits(twice.slice(0, x.shape(0), 2 * x.shape(0))));
        int[] padding = new int[2 * x.ndim()];
        padding[0] = 1;
        NDArray padded = x.pad(padding, 7);
        assertArrayEquals(want, bits(padded.slice(0, 1, 1 + x.shape(0))));
        for (short s : bits(padded.select(0, 0))) assertEquals(BFloat16.fromFloat(7), s);
    }

    /** copyInto with accumulate rounds each sum once into the bfloat16 destination. */
    @Property
    void accumulatingCopiesRoundOnce(@ForAll("seeds") long seed, @ForAll @IntRange(min = 1, max = 300) int n) {
        SplittableRandom r = new SplittableRandom(seed);
        NDArray dst = NDArray.of(Gen.uniform(r, n, -100, 100), n).to(DType.BFLOAT16).contiguous();
        float[] src = new float[n];
        for (int i = 0; i < n; i++) src[i] = (float) r.nextDouble(-1, 1);
        short[] before = bits(dst);
        dst.backend().copyInto(dst, NDArray.of(src), true);
        short[] after = bits(dst);
        for (int i = 0; i < n; i++)
            assertEquals(BFloat16.fromDouble(BFloat16.toDouble(before[i]) + (double) src[i]), after[i], "element " + i);
    }

    // ---- kernels -----------------------------------------------------------------------

    /** The float32 kernel's result on the widened operands, rounded to bfloat16 once. */
    private static short[] viaFloat32(NDArray f32Result) {
        return BFloat16.fromFloats(f32Result.toFloatArray());
    }

    @Property
    void unaryOpsComputeInFloat32AndRoundOnce(@ForAll("layouts") Layout layout, @ForAll UnaryOp op, @ForAll("seeds") long seed) {
        NDArray x = layout.build(DType.BFLOAT16, Domain.awayFromZero(0.01, 4), seed).array();
        NDArray y = x.map(op);
        assertEquals(DType.BFLOAT16, y.dtype());
        short[] want = viaFloat32(x.to(DType.FLOAT32).map(op)), got = bits(y);
        for (int i = 0; i < want.length; i++) // NaN (log of a negative) may differ only in payload
            if (!(Float.isNaN(BFloat16.toFloat(want[i])) && Float.isNaN(BFloat16.toFloat(got[i]))))
                assertEquals(want[i], got[i], op + " element " + i + " of " + layout);
    }

    @Property
    void binaryOpsBroadcastComputeInFloat32AndRoundOnce(@ForAll("layouts") Layout layout, @ForAll BinaryOp op, @ForAll("seeds") long seed) {
        NDArray a = layout.build(DType.BFLOAT16, Domain.awayFromZero(0.5, 4), seed).array();
        NDArray b = layout.build(DType.BFLOAT16, Domain.awayFromZero(0.5, 4), seed + 1).array();
        if (a.ndim() > 0) b = b.select(0, 0); // broadcast along the first axis
        NDArray y = a.zip(op, b);
        assertEquals(DType.BFLOAT16, y.dtype());
        assertArrayEquals(viaFloat32(a.to(DType.FLOAT32).zip(op, b.to(DType.FLOAT32))), bits(y), op + " on " + layout);
    }

    /** Arrays split across threads and chunks, and a stride-0 scalar operand: still the float32 result rounded once. */
    @Example
    void largeElementwiseOpsMatchTheFloat32KernelRoundedOnce() {
        int n = 3 * 32768 + 1001; // several parallel blocks and a partial chunk
        NDArray a = NDArray.uniform(new Rng(5), -3, 3, DType.BFLOAT16, n), b = NDArray.uniform(new Rng(6), 0.5, 3, DType.BFLOAT16, n);
        NDArray s = NDArray.scalar(1.5, DType.BFLOAT16, Device.cpu()).expand(n);
        NDArray af = a.to(DType.FLOAT32), bf = b.to(DType.FLOAT32), sf = s.to(DType.FLOAT32);
        assertArrayEquals(viaFloat32(af.exp()), bits(a.exp()));
        assertArrayEquals(viaFloat32(af.tanh()), bits(a.tanh()));
        assertArrayEquals(viaFloat32(af.div(bf)), bits(a.div(b)));
        assertArrayEquals(viaFloat32(af.pow(sf)), bits(a.pow(s)));
        assertArrayEquals(viaFloat32(sf.sub(bf)), bits(s.sub(b)));
    }

    @Example
    void mixedTypesPromoteAsPyTorch() {
        NDArray h = NDArray.of(1.5f, 2f).to(DType.BFLOAT16);
        assertEquals(DType.FLOAT32, h.add(NDArray.of(1f, 1f)).dtype());
        assertEquals(DType.FLOAT64, h.add(NDArray.of(1.0, 1.0)).dtype());
        assertEquals(DType.BFLOAT16, h.add(h).dtype());
        assertEquals(DType.BFLOAT16, DType.promote(DType.BFLOAT16, DType.INT32));
        assertArrayEquals(new float[] {2.5f, 3f}, h.add(NDArray.of(1f, 1f)).toFloatArray());
    }

    /**
     * Sums accumulate wide and round once. bfloat16 values in [-10, 10] (8 significant bits,
     * exponents from -133 up to 3) added a few thousand at a time are exact in a float64
     * accumulator, in any order, so the result must be the float64 sum rounded once: a
     * float32 accumulator, or rounding through float32, would miss ties and carries.
     */
    @Property
    void sumsAreRoundedOnceFromAWideAccumulator(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed) {
        Built x = layout.build(DType.BFLOAT16, Domain.range(-10, 10), seed);
        int nd = x.array().ndim();
        int[] axes = nd == 0 ? new int[0] : new int[] {(int) (Math.abs(seed) % nd)};
        NDArray got = x.array().sum(axes);
        assertEquals(DType.BFLOAT16, got.dtype());
        double[] ref = x.array().to(DType.FLOAT64).sum(axes).toDoubleArray();
        short[] g = bits(got);
        for (int i = 0; i < g.length; i++)
            assertEquals(BFloat16.fromDouble(ref[i]), g[i], "sum element " + i + ": " + BFloat16.toFloat(g[i]) + " vs float64 " + ref[i] + " of " + layout);
        NDArray max = x.array().max(axes, false);
        assertEquals(DType.BFLOAT16, max.dtype());
        assertArrayEquals(x.array().to(DType.FLOAT32).max(axes, false).toFloatArray(), max.toFloatArray(), "max is exact");
    }

    @Property
    void matmulAccumulatesInFloat32AndRoundsOnce(@ForAll("seeds") long seed, @ForAll @IntRange(min = 1, max = 40) int m,
                                                @ForAll @IntRange(min = 1, max = 70) int k, @ForAll @IntRange(min = 1, max = 40) int n,
                                                @ForAll boolean transposeB) {
        SplittableRandom r = new SplittableRandom(seed);
        NDArray a = NDArray.of(Gen.uniform(r, m * k, -2, 2), m, k).to(DType.BFLOAT16);
        NDArray b = transposeB ? NDArray.of(Gen.uniform(r, n * k, -2, 2), n, k).to(DType.BFLOAT16).mT()
                : NDArray.of(Gen.uniform(r, k * n, -2, 2), k, n).to(DType.BFLOAT16);
        NDArray c = a.matmul(b);
        assertEquals(DType.BFLOAT16, c.dtype());
        assertArrayEquals(viaFloat32(a.to(DType.FLOAT32).matmul(b.to(DType.FLOAT32))), bits(c));
        double[] ref = a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64)).toDoubleArray(), g = c.toDoubleArray();
        for (int i = 0; i < g.length; i++)
            assertTrue(Math.abs(g[i] - ref[i]) <= 0x1p-8 * Math.abs(ref[i]) + k * 4 * 0x1p-23, "element " + i + ": " + g[i] + " vs " + ref[i]);
    }

    @Property(tries = 50)
    void softmaxComputesInFloat32AndRoundsOnce(@ForAll("layouts") Layout layout, @ForAll("seeds") long seed, @ForAll boolean log) {
        NDArray x = layout.build(DType.BFLOAT16, Domain.range(-5, 5), seed).array();
        if (x.ndim() == 0) return;
        NDArray f = x.to(DType.FLOAT32);
        NDArray y = log ? x.logSoftmax(-1) : x.softmax(-1);
        assertEquals(DType.BFLOAT16, y.dtype());
        assertArrayEquals(viaFloat32(log ? f.logSoftmax(-1) : f.softmax(-1)), bits(y));
    }

    /** Uniform draws stay below high after rounding, as for float32 (bfloat16 would round 1 - 2^-10 up to 1). */
    @Example
    void uniformDrawsStayInTheHalfOpenRange() {
        for (double[] range : new double[][] {{0, 1}, {1, 1.02}, {-1.02, -1}, {-0.001, 0}}) {
            NDArray x = NDArray.uniform(new Rng(9), range[0], range[1], DType.BFLOAT16, 20000);
            for (double v : x.toDoubleArray()) assertTrue(v >= range[0] && v < range[1], v + " outside [" + range[0] + ", " + range[1] + ")");
        }
        assertEquals((short) 0x3F7F, BFloat16.nextDown((short) 0x3F80));
        assertEquals((short) 0x8001, BFloat16.nextDown((short) 0));
        assertEquals((short) 0xFF80, BFloat16.nextDown((short) 0xFF7F));
    }

    @Example
    void randomDrawsRoundTheFloat64Draws() {
        NDArray h = NDArray.randn(new Rng(7), DType.BFLOAT16, 100);
        NDArray d = NDArray.randn(new Rng(7), DType.FLOAT64, 100);
        assertArrayEquals(d.toBFloat16Bits(), bits(h));
    }
}
