package dev.proxima.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 exp, log, log1p, expm1 and tanh written in plain lane-wise arithmetic (add, mul,
 * fma, compare, blend, bit operations): a range reduction and one polynomial each, the
 * polynomials of Cephes' expf/logf/tanhf (S. L. Moshier).
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
 * <p>The functions are small static methods so that C2 inlines them into the row loops of
 * {@link VectorRowKernels}; every vector stays in a register.
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

    private static FloatVector k(float c) {
        return FloatVector.broadcast(F, c);
    }

    /**
     * e^x: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, then scaled by 2^n in
     * two halves so that results in the subnormal range are rounded once, as Math.exp's are.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(k(-104f)).min(k(89f)); // beyond these e^x rounds to 0 or overflows anyway
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
        y = y.mul(s1).mul(s2);
        return y.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * ln x: x = 2^e m with m in [sqrt(1/2), sqrt 2), ln m = f - f^2/2 + f^3 P(f) with f = m - 1,
     * e ln2 added in two parts. Subnormal inputs are scaled up by 2^23 first.
     */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), tiny);
        IntVector bits = (IntVector) xs.reinterpretAsInts();
        IntVector ei = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).sub(126);
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats(); // [0.5, 1)
        FloatVector e = (FloatVector) ei.convert(VectorOperators.I2F, 0);
        e = e.sub(23f, tiny);
        VectorMask<Float> low = m.compare(VectorOperators.LT, SQRT_HALF);
        e = e.sub(1f, low);
        FloatVector f = m.sub(1f).blend(m.add(m).sub(1f), low);
        FloatVector z = f.mul(f);
        FloatVector p = f.fma(k(7.0376836292e-2f), k(-1.1514610310e-1f))
                .fma(f, k(1.1676998740e-1f)).fma(f, k(-1.2420140846e-1f))
                .fma(f, k(1.4249322787e-1f)).fma(f, k(-1.6668057665e-1f))
                .fma(f, k(2.0000714765e-1f)).fma(f, k(-2.4999993993e-1f))
                .fma(f, k(3.3333331174e-1f));
        FloatVector y = p.mul(f).mul(z);
        y = e.fma(k(LN2_LO), y);
        y = z.fma(k(-0.5f), y);
        FloatVector r = f.add(y);
        r = e.fma(k(LN2_HI), r);
        // Special values last: NaN and negatives give NaN, +0/-0 give -inf, +inf stays.
        r = r.blend(k(Float.NEGATIVE_INFINITY), x.compare(VectorOperators.EQ, 0f));
        r = r.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return r.blend(k(Float.NaN), x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /** ln(1 + x) as ln u - ((u - 1) - x) / u with u = 1 + x: the second term restores what rounding u lost. */
    static FloatVector log1p(FloatVector x) {
        FloatVector u = x.add(1f);
        FloatVector l = log(u);
        FloatVector r = l.sub(u.sub(1f).sub(x).div(u));
        r = r.blend(x, u.compare(VectorOperators.EQ, 1f)); // x is the answer there, -0 included
        // At u = 0 (x = -1) and u = +inf the correction is 0/0 or inf/inf: ln u is the answer.
        return r.blend(l, u.compare(VectorOperators.EQ, 0f).or(u.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY)));
    }

    /** e^x - 1 by Kahan's (u - 1) x / ln u with u = e^x, exact in the rounding of u. */
    static FloatVector expm1(FloatVector x) {
        FloatVector u = exp(x);
        FloatVector um1 = u.sub(1f);
        FloatVector r = um1.mul(x.div(log(u))); // x / ln u first: um1 * x may overflow
        r = r.blend(x, u.compare(VectorOperators.EQ, 1f)); // also keeps -0 and NaN
        r = r.blend(k(-1f), um1.compare(VectorOperators.EQ, -1f));
        return r.blend(u, u.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /** tanh x: an odd polynomial below |x| = 0.625, else (1 - e) / (1 + e) with e = e^(-2|x|). */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(k(-5.70498872745e-3f), k(2.06390887954e-2f))
                .fma(z, k(-5.37397155531e-2f)).fma(z, k(1.33314422036e-1f))
                .fma(z, k(-3.33332819422e-1f));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector e = exp(a.mul(-2f));
        FloatVector large = k(1f).sub(e).div(e.add(1f));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        return large.blend(small, a.compare(VectorOperators.LT, 0.625f)).blend(x, a.compare(VectorOperators.EQ, 0f)); // keeps -0
    }

    /** 1 / (1 + e^-x), as 1/(1+e) or e/(1+e) with e = e^-|x| <= 1, so neither branch overflows. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg()), r = k(1f).div(e.add(1f));
        return r.blend(e.mul(r), x.compare(VectorOperators.LT, 0f));
    }
}
