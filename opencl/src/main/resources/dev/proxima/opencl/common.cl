// Shared by every generated program. The host merges dimensions that are contiguous with
// each other in every operand (as the CPU backend's Strided walk does), so a contiguous
// operand set arrives as ndim == 1 with unit strides and the offset loop below does no
// division at all: that is the all-contiguous fast path.

#define MAXD 8
#define MAXOP 4

// Passed by value as one kernel argument: 48 ints, so setting it costs one clSetKernelArg.
typedef struct {
    int ndim;             // dimensions after merging (>= 1)
    int n;                // elements in the iteration space
    int shape[MAXD];
    int off[MAXOP];       // element offset of each operand
    int st[MAXOP][MAXD];  // element strides of each operand
    int pad[2];
} Layout;

// Offsets of element i (row-major over L->shape) in the first nop operands.
inline void offsets(const Layout* L, int i, int nop, int* o) {
    for (int q = 0; q < nop; q++) o[q] = L->off[q];
    int r = i;
    for (int d = L->ndim - 1; d > 0; d--) {
        int s = L->shape[d];
        int c = r % s;
        r /= s;
        for (int q = 0; q < nop; q++) o[q] += c * L->st[q][d];
    }
    for (int q = 0; q < nop; q++) o[q] += r * L->st[q][0];
}

// Offset of element i in operand 0 only, without the base offset.
inline int offset0(const Layout* L, int i) {
    int o = 0, r = i;
    for (int d = L->ndim - 1; d > 0; d--) {
        int s = L->shape[d];
        o += (r % s) * L->st[0][d];
        r /= s;
    }
    return o + r * L->st[0][0];
}

// dst += v for an int dst and a floating v, exactly as the CPU's (int) ((double) d + v):
// truncation toward zero of the exact sum, saturation, NaN -> 0. Float alone would round
// the sum first; splitting v into its integer and fractional parts keeps it exact.
#define DEFINE_ACC_INT(S)                                                   \
inline int acc_int_##S(int d, S v) {                                        \
    if (isnan(v)) return 0;                                                 \
    if (v >= (S) 4294967296.0) return INT_MAX;                              \
    if (v <= (S) -4294967296.0) return INT_MIN;                             \
    long iv = (long) v;                                                     \
    S f = v - (S) iv;                                                       \
    long s = (long) d + iv;                                                 \
    if (s > 0 && f < 0) s -= 1;                                             \
    else if (s < 0 && f > 0) s += 1;                                        \
    return (int) clamp(s, (long) INT_MIN, (long) INT_MAX);                  \
}

// bfloat16 (DType.BFLOAT16) is stored as a ushort: the upper half of a float32's bits. Kernels
// widen it by a shift (exact), compute in float, and round each result once, with the CPU's
// rule (BFloat16.fromFloat): to nearest, ties to even, by adding 0x7FFF plus the lowest kept
// bit; a carry out of the mantissa raises the exponent, correctly, up to infinity; a NaN stays
// a NaN with its sign and upper payload, made quiet so the truncation cannot make it infinite.
inline float bf16_to_float(ushort u) { return as_float((uint) u << 16); }

inline float4 bf16_to_float4(ushort4 u) { return as_float4(convert_uint4(u) << 16); }

inline ushort bf16_from_float(float f) {
    uint b = as_uint(f);
    uint rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
    return (ushort) ((b & 0x7FFFFFFFu) > 0x7F800000u ? (b >> 16) | 0x0040u : rounded);
}

inline ushort4 bf16_from_float4(float4 f) {
    return (ushort4) (bf16_from_float(f.s0), bf16_from_float(f.s1), bf16_from_float(f.s2), bf16_from_float(f.s3));
}

// A value wider than float rounds to bfloat16 once, as BFloat16.fromDouble does: truncate to
// float (round toward zero) and set the lowest bit when anything was dropped (round to odd),
// which keeps every bit the rounding to 8 significant bits needs, then round to nearest even.
inline ushort bf16_from_int(int i) {
    float f = convert_float_rtz(i);
    return bf16_from_float(as_float(as_uint(f) | (convert_int_rtz(f) != i)));
}

// a + b (bfloat16 a, float b) rounded once to bfloat16, as the CPU's sum in double: the float
// sum and its exact error (TwoSum) give the sum rounded to odd, then to nearest even.
inline ushort bf16_sum(float a, float b) {
    float s = a + b, bb = s - a, err = (a - (s - bb)) + (b - bb);
    uint bits = as_uint(s);
    if (err != 0 && isfinite(s) && (bits & 1u) == 0) bits = (err > 0) == (s > 0) ? bits + 1 : bits - 1;
    return bf16_from_float(as_float(bits));
}
