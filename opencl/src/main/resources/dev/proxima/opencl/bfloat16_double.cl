// double to bfloat16, rounded once (BFloat16.fromDouble): a NaN keeps its sign and top payload
// bits (as a float32 cast does) and is made quiet; other values go through float with round to
// odd, as bf16_from_int in common.cl.
inline ushort bf16_from_double(double d) {
    if (isnan(d)) {
        ulong b = as_ulong(d);
        return (ushort) (((b >> 48) & 0x8000u) | 0x7F80u | 0x0040u | ((b >> 45) & 0x3Fu));
    }
    float f = convert_float_rtz(d);
    return bf16_from_float(as_float(as_uint(f) | ((double) f != d)));
}
