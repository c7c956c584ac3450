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
