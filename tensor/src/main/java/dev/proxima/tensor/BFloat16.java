package dev.proxima.tensor;

/**
 * Conversions between bfloat16 bits (held in a {@code short}) and float32/float64.
 *
 * <p>bfloat16 is the upper 16 bits of a float32: same sign and 8-bit exponent, 7 stored
 * mantissa bits. Widening is exact (a shift). Narrowing rounds to nearest, ties to even, as
 * PyTorch and the hardware that has the type do: values past the largest finite bfloat16 by
 * half an ulp or more become infinity, subnormals round like every other value (bfloat16 has
 * float32's subnormal range, with 7 bits), and a NaN stays a NaN with its sign and upper
 * payload, made quiet so that the truncation can never turn it into an infinity.
 */
public final class BFloat16 {
    private BFloat16() {}

    /** The quiet bit of a bfloat16 NaN: the top mantissa bit. */
    private static final int QUIET = 0x0040;

    /** The float32 value of bfloat16 {@code bits}: exact. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@code f} rounded to the nearest bfloat16, ties to even. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        // Adding 0x7FFF plus the lowest kept bit carries into the kept half exactly when the
        // dropped half is over one half, or is one half and the kept half is odd. A carry out
        // of the mantissa raises the exponent, correctly, up to infinity. A select rather than
        // an early return for NaN: the loops over arrays then compile without a branch.
        int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
        return (short) ((bits & 0x7FFFFFFF) > 0x7F800000 ? (bits >>> 16) | QUIET : rounded);
    }

    /**
     * {@code d} rounded to the nearest bfloat16 once (not through a rounded float32, which can
     * round twice: a double just above a bfloat16 tie would become the tie, then go to even).
     * Narrowing to float32 with round-to-odd first keeps every bit the second rounding needs:
     * float32 carries 16 more mantissa bits than bfloat16, and the sticky bit records whether
     * anything was dropped, so the result is the correctly rounded one.
     */
    public static short fromDouble(double d) {
        if (Double.isNaN(d)) {
            long bits = Double.doubleToRawLongBits(d); // keep the sign and top 6 payload bits, as a float32 cast does
            return (short) ((int) (bits >>> 48) & 0x8000 | 0x7F80 | QUIET | (int) (bits >>> 45) & 0x3F);
        }
        float f = (float) d;
        int bits = Float.floatToRawIntBits(f);
        // Truncate toward zero: one step down in magnitude (the sign stays, infinity from a
        // finite d becomes the largest float), then set the sticky bit if anything was dropped.
        if (Math.abs((double) f) > Math.abs(d)) bits--;
        if ((double) Float.intBitsToFloat(bits) != d) bits |= 1;
        return fromFloat(Float.intBitsToFloat(bits));
    }

    /** The float64 value of bfloat16 {@code bits}: exact. */
    public static double toDouble(short bits) {
        return toFloat(bits);
    }

    /** The largest bfloat16 below finite or infinite, non-NaN {@code bits} (Math.nextDown for bfloat16). */
    public static short nextDown(short bits) {
        float f = toFloat(bits);
        if (f > 0) return (short) (bits - 1);
        if (f == 0) return (short) 0x8001; // below both zeros: the negative smallest subnormal
        return (short) (bits + 1); // negative: one step up in magnitude (from -max to -infinity)
    }

    /** Rounds every value of {@code src} into a new array of bfloat16 bits. */
    public static short[] fromFloats(float[] src) {
        short[] r = new short[src.length];
        for (int i = 0; i < src.length; i++) r[i] = fromFloat(src[i]);
        return r;
    }

    /** Widens every bfloat16 of {@code src} into a new float array. */
    public static float[] toFloats(short[] src) {
        float[] r = new float[src.length];
        for (int i = 0; i < src.length; i++) r[i] = toFloat(src[i]);
        return r;
    }
}
