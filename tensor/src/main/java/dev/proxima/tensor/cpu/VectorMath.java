package dev.proxima.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 exp and log written in plain lane-wise arithmetic (add, mul,
 * fma, compare, blend, bit operations): a range reduction and one polynomial each, the
 * polynomials of Cephes' expf/logf (S. L. Moshier); {@link VectorRowKernels} builds tanh,
 * sigmoid, silu, gelu-tanh, softplus, log1p and expm1 on them.
 *
 * <p>Why not {@code VectorOperators.EXP} and friends: the Vector API computes those by a Java
 * fallback until C2 compiles the loop, and then by the JDK's SIMD math library (SVML), which
 * rounds differently. The same input then gave results one ulp apart before and after
 * warm-up, so a seeded training run was not reproducible. Every operation used here is
 * either exactly rounded (add, mul, div, fma) or exact (compare, blend, bit ops), so the
 * interpreter, C1 and C2 compute the same bits. Accuracy against the correctly rounded
 * result is within 2 ulp over the whole float range, subnormal results within 2 units of
 * 2^-149 (tested against {@code Math.exp} etc.).
 *
 * <p>Each function is called at one unconditional site of a loop in {@link VectorRowKernels}
 * and is small enough (under 325 bytecodes, no nested calls but trivial ones) for C2 to
 * inline it there: a vector that crosses a call that was not inlined is boxed on the heap,
 * which made tanh and log 3-10x slower in a first version that called these from inside a
 * switch. The compositions (tanh, sigmoid, log1p, ...) are therefore written in those loops.
 */
final class VectorMath {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, held in the low mantissa bits. */
    private static final float SHIFTER = 12582912f;
    private static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    /** ln 2 split so that n * LN2_HI is exact for the n that occur. */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float SQRT_HALF = 0.707106781186547524f;

    private VectorMath() {}

    // log's constants are static finals: broadcast in place, they cost C2 enough IR nodes that
    // log's loop reached the inlining node limit (NodeCountInliningCutoff) and boxed every
    // vector. exp's are broadcast in place, which measured about 25% faster than loading them.
    private static final FloatVector LOG_P0 = FloatVector.broadcast(F, 7.0376836292e-2f);
    private static final FloatVector LOG_P1 = FloatVector.broadcast(F, -1.1514610310e-1f);
    private static final FloatVector LOG_P2 = FloatVector.broadcast(F, 1.1676998740e-1f);
    private static final FloatVector LOG_P3 = FloatVector.broadcast(F, -1.2420140846e-1f);
    private static final FloatVector LOG_P4 = FloatVector.broadcast(F, 1.4249322787e-1f);
    private static final FloatVector LOG_P5 = FloatVector.broadcast(F, -1.6668057665e-1f);
    private static final FloatVector LOG_P6 = FloatVector.broadcast(F, 2.0000714765e-1f);
    private static final FloatVector LOG_P7 = FloatVector.broadcast(F, -2.4999993993e-1f);
    private static final FloatVector LOG_P8 = FloatVector.broadcast(F, 3.3333331174e-1f);
    private static final FloatVector V_LN2_LO = FloatVector.broadcast(F, LN2_LO);
    private static final FloatVector MINUS_HALF = FloatVector.broadcast(F, -0.5f);
    private static final FloatVector V_LN2_HI = FloatVector.broadcast(F, LN2_HI);
    private static final FloatVector NEG_INF = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    private static final FloatVector NAN = FloatVector.broadcast(F, Float.NaN);

    private static FloatVector k(float c) {
        return FloatVector.broadcast(F, c);
    }

    /**
     * e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, then scaled by 2^n in
     * two halves so that results in the subnormal range are rounded once, as Math.exp's are.
     */
    static FloatVector exp(FloatVector x) {
        // Beyond these bounds e^x rounds to 0 or overflows anyway; NaN stays NaN through max/min.
        FloatVector c = x.max(k(-104f)).min(k(89f));
        FloatVector t = c.fma(k(LOG2E), k(SHIFTER));
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(k(-LN2_HI), c);
        r = n.fma(k(-LN2_LO), r);
        FloatVector p = r.fma(k(1.9875691500e-4f), k(1.3981999507e-3f))
                .fma(r, k(8.3334519073e-3f)).fma(r, k(4.1665795894e-2f))
                .fma(r, k(1.6666665459e-1f)).fma(r, k(5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector ni = (IntVector) t.reinterpretAsInts().sub(SHIFTER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1); // each in [-76, 64]: normal powers of two
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2); // NaN needs no blend: max/min propagate it, and so does the arithmetic
    }

    /**
     * ln x for positive, finite, non-zero x: x = 2^e m with m in [sqrt(1/2), sqrt 2),
     * ln m = f - f^2/2 + f^3 P(f) with f = m - 1, e ln2 added in two parts. Subnormal inputs
     * are scaled up by 2^23 first. The caller blends in the special values
     * ({@link #logSpecials}): keeping them out holds this method under C2's size limit for
     * inlining a hot call (325 bytecodes).
     */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        IntVector bits = x.blend(x.mul(8388608f), tiny).reinterpretAsInts();
        IntVector ei = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).sub(126);
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats(); // [0.5, 1)
        FloatVector e = ((FloatVector) ei.convert(VectorOperators.I2F, 0)).sub(23f, tiny);
        VectorMask<Float> low = m.compare(VectorOperators.LT, SQRT_HALF);
        e = e.sub(1f, low);
        FloatVector f = m.sub(1f).blend(m.add(m).sub(1f), low);
        FloatVector z = f.mul(f);
        FloatVector p = f.fma(LOG_P0, LOG_P1)
                .fma(f, LOG_P2).fma(f, LOG_P3)
                .fma(f, LOG_P4).fma(f, LOG_P5)
                .fma(f, LOG_P6).fma(f, LOG_P7)
                .fma(f, LOG_P8);
        FloatVector y = e.fma(V_LN2_LO, p.mul(f).mul(z));
        y = z.fma(MINUS_HALF, y);
        return e.fma(V_LN2_HI, f.add(y));
    }

    /** {@code r} = log(x) with ln's special values put in: NaN for NaN and negatives, -inf at +-0, +inf at +inf. */
    static FloatVector logSpecials(FloatVector x, FloatVector r) {
        r = r.blend(NEG_INF, x.compare(VectorOperators.EQ, 0f));
        r = r.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return r.blend(NAN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }
}
