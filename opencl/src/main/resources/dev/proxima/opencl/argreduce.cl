// Index of the first extreme along one axis; one work-group per output element. NaN counts
// as the extreme (the first NaN wins), ties go to the smaller index, as in NumPy.
// BETTER(v, bv) is v > bv for argmax and v < bv for argmin.
inline int argbetter_$NAME_$T(T v, int i, T bv, int bi) {
    if (isnan(bv)) return isnan(v) && i < bi;
    if (isnan(v)) return 1;
    return $BETTER || (v == bv && i < bi);
}

__kernel void argreduce_$NAME_$T(__global int* out, __global const TMEM* xs, Layout K, int len,
                                 int stride, __local T* pv, __local int* pi) {
    int g = get_group_id(0), lid = get_local_id(0), lsz = get_local_size(0);
    int base = K.off[0] + offset0(&K, g);
    T bv = TLOAD(xs[base]);
    int bi = 0;
    for (int i = lid; i < len; i += lsz) {
        T v = TLOAD(xs[base + i * stride]);
        if (i == lid || argbetter_$NAME_$T(v, i, bv, bi)) { bv = v; bi = i; }
    }
    if (lid >= len) bi = len; // no element: loses every comparison below
    pv[lid] = bv;
    pi[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s && pi[lid + s] < len
                && (pi[lid] >= len || argbetter_$NAME_$T(pv[lid + s], pi[lid + s], pv[lid], pi[lid]))) {
            pv[lid] = pv[lid + s];
            pi[lid] = pi[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[g] = pi[0];
}
