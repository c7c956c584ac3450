// dst = src (or dst += src) with a dtype conversion D <- S (#defines). $CONVERT matches Java's casts:
// float/double -> int truncates toward zero, saturates, and maps NaN to 0. The caller
// guarantees dst elements do not overlap, so accumulation needs no atomics.
__kernel void copy_$D_$S(__global D* dst, __global const S* src, Layout L, int accumulate) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[2];
    offsets(&L, i, 2, o);
    S v = src[o[1]];
    D r = accumulate ? $ACCUMULATE : $CONVERT;
    dst[o[0]] = r;
}
