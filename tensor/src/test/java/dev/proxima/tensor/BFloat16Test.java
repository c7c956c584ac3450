package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * bfloat16 conversions against a reference that knows nothing of bit tricks: the exact value
 * of the input as a BigDecimal, the two bfloat16 values around it found by bisection over the
 * bit patterns (ordered like their magnitudes), and the nearer one, ties to the even pattern.
 * Past the largest finite bfloat16 the next "value" is 2^128, the value infinity stands for
 * in IEEE rounding (a value rounds to infinity from half an ulp above the maximum).
 */
class BFloat16Test {
    private static final int INF = 0x7F80;
    private static final BigDecimal TWO_128 = new BigDecimal(2).pow(128);

    /** The magnitude of bfloat16 pattern {@code m} (0 <= m <= 0x7F80), exactly. */
    private static BigDecimal magnitude(int m) {
        return m == INF ? TWO_128 : new BigDecimal(Float.intBitsToFloat(m << 16));
    }

    /** The correctly rounded bfloat16 of a finite or infinite, non-NaN value. */
    private static short reference(BigDecimal exact, boolean negative) {
        BigDecimal a = exact.abs();
        int lo = 0, hi = INF; // invariant: magnitude(lo) <= a, and a < magnitude(hi) unless hi is INF
        if (a.compareTo(TWO_128) >= 0) lo = INF;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (magnitude(mid).compareTo(a) <= 0) lo = mid; else hi = mid;
        }
        int m = lo;
        if (lo != INF && magnitude(lo).compareTo(a) != 0) {
            int c = a.subtract(magnitude(lo)).compareTo(magnitude(lo + 1).subtract(a));
            m = c < 0 || (c == 0 && (lo & 1) == 0) ? lo : lo + 1;
        }
        return (short) (negative ? m | 0x8000 : m);
    }

    private static short referenceOf(float f) {
        if (Float.isInfinite(f)) return (short) (f > 0 ? INF : INF | 0x8000);
        return reference(new BigDecimal(f), (Float.floatToRawIntBits(f) & 0x80000000) != 0);
    }

    private static short referenceOf(double d) {
        if (Double.isInfinite(d)) return (short) (d > 0 ? INF : INF | 0x8000);
        return reference(new BigDecimal(d), (Double.doubleToRawLongBits(d) & 0x8000000000000000L) != 0);
    }

    private static void checkNaN(short got, boolean negative, String what) {
        assertTrue(Float.isNaN(BFloat16.toFloat(got)), what + ": NaN became " + Integer.toHexString(got & 0xFFFF));
        assertEquals(0x40, got & 0x40, what + ": the NaN is quiet");
        assertEquals(negative, got < 0, what + ": the sign is kept");
    }

    // ---- float32 -----------------------------------------------------------------------

    /**
     * Every bfloat16 pattern (every sign, exponent and kept mantissa) with the dropped half set
     * to each case that decides rounding: zero, just above zero, just below a half, exactly a
     * half (a tie, which goes to the even neighbour), just above a half, and all ones.
     */
    @Example
    void everyFloatRoundingCaseMatchesTheReference() {
        int[] lows = {1, 0x7FFF, 0x8000, 0x8001}; // 0 is everyPatternRoundTrips
        for (int high = 0; high < 0x10000; high++)
            for (int low : lows) {
                float f = Float.intBitsToFloat(high << 16 | low);
                short got = BFloat16.fromFloat(f);
                if (Float.isNaN(f)) checkNaN(got, high >= 0x8000, Integer.toHexString(high << 16 | low));
                else assertEquals(referenceOf(f), got, () -> f + " (" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
            }
    }

    @Provide
    Arbitrary<Float> anyFloat() {
        return Arbitraries.integers().map(Float::intBitsToFloat);
    }

    @Property(tries = 2000)
    void randomFloatsRoundToNearestEven(@ForAll("anyFloat") float f) {
        short got = BFloat16.fromFloat(f);
        if (Float.isNaN(f)) checkNaN(got, Float.floatToRawIntBits(f) < 0, "NaN");
        else assertEquals(referenceOf(f), got, () -> Float.toString(f));
    }

    /** Widening is exact, and narrowing what was widened gives the same bits back (NaN aside). */
    @Example
    void everyPatternRoundTrips() {
        for (int b = 0; b < 0x10000; b++) {
            short h = (short) b;
            float f = BFloat16.toFloat(h);
            assertEquals(b << 16, Float.floatToRawIntBits(f));
            assertEquals(f, (float) BFloat16.toDouble(h), 0f);
            if (Float.isNaN(f)) continue;
            assertEquals(h, BFloat16.fromFloat(f));
            assertEquals(h, BFloat16.fromDouble(f));
        }
    }

    /** float32 -> bfloat16 -> float32 is idempotent: a second round changes nothing. */
    @Property(tries = 1000)
    void roundingTwiceIsRoundingOnce(@ForAll("anyFloat") float f) {
        float once = BFloat16.toFloat(BFloat16.fromFloat(f));
        float twice = BFloat16.toFloat(BFloat16.fromFloat(once));
        assertEquals(Float.floatToRawIntBits(once), Float.floatToRawIntBits(twice));
    }

    @Example
    void namedValues() {
        assertEquals((short) 0x3F80, BFloat16.fromFloat(1f));
        assertEquals((short) 0x8000, BFloat16.fromFloat(-0f));
        assertEquals((short) 0x7F7F, BFloat16.fromFloat(3.3895314e38f)); // the largest finite bfloat16
        assertEquals((short) 0x7F80, BFloat16.fromFloat(Float.MAX_VALUE)); // past it by more than half an ulp
        assertEquals((short) 0xFF80, BFloat16.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x0001, BFloat16.fromFloat(Float.intBitsToFloat(0x00010000))); // the smallest subnormal
        assertEquals((short) 0x0000, BFloat16.fromFloat(Float.intBitsToFloat(0x00008000))); // half of it: a tie, to even 0
        assertEquals((short) 0x0002, BFloat16.fromFloat(Float.intBitsToFloat(0x00018000))); // 1.5 of it: a tie, to even 2
        assertEquals((short) 0x7FC1, BFloat16.fromFloat(Float.intBitsToFloat(0x7F810000))); // a signalling NaN stays NaN, made quiet
        assertEquals((short) 0x7FC0, BFloat16.fromFloat(Float.intBitsToFloat(0x7F800001))); // its payload below the kept bits: not infinity
    }

    // ---- float64 -----------------------------------------------------------------------

    /** Doubles of any bits, and doubles a hair away from a bfloat16 tie, where rounding through float32 would go wrong. */
    @Provide
    Arbitrary<Double> anyDouble() {
        Arbitrary<Double> bits = Arbitraries.longs().map(Double::longBitsToDouble);
        Arbitrary<Double> inFloatRange = Arbitraries.integers().map(i -> (double) Float.intBitsToFloat(i));
        Arbitrary<Double> nearTies = Arbitraries.integers().flatMap(i -> Arbitraries.integers().between(-3, 3).map(k -> {
            double tie = Float.intBitsToFloat(i & 0xFFFF0000 | 0x8000);
            for (int s = 0; s < Math.abs(k); s++) tie = k > 0 ? Math.nextUp(tie) : Math.nextDown(tie);
            return tie;
        }));
        Arbitrary<Double> scaled = Arbitraries.doubles().between(-1, 1).flatMap(d -> Arbitraries.integers().between(-140, 130).map(e -> Math.scalb(d, e)));
        return Arbitraries.oneOf(bits, inFloatRange, nearTies, scaled);
    }

    @Property(tries = 3000)
    void randomDoublesRoundOnceToNearestEven(@ForAll("anyDouble") double d) {
        short got = BFloat16.fromDouble(d);
        if (Double.isNaN(d)) checkNaN(got, Double.doubleToRawLongBits(d) < 0, "NaN");
        else assertEquals(referenceOf(d), got, () -> d + " (" + Long.toHexString(Double.doubleToRawLongBits(d)) + ")");
    }

    @Example
    void aDoubleJustAboveATieRoundsUpNotToEven() {
        // 1 + 2^-8 is halfway between bfloat16 1 and 1 + 2^-7; a double just above it must round
        // up, though the nearest float32 is the tie itself (which would round to even, down).
        double justAbove = Math.nextUp(1 + 0x1p-8);
        assertEquals((short) 0x3F80, BFloat16.fromFloat((float) justAbove));
        assertEquals((short) 0x3F81, BFloat16.fromDouble(justAbove));
        assertEquals((short) 0x3F80, BFloat16.fromDouble(Math.nextDown(1 + 0x1p-7 + 0x1p-8) - 0x1p-7));
    }
}
