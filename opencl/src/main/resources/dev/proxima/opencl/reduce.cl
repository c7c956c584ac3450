// One work-group per output element (or per chunk of one, when few outputs cover many
// elements and the host splits them): each work-item folds a strided slice of the reduced
// elements, then the group combines the partial results in a local-memory tree. $COMBINE is
// ReduceOp.openclCombine() in acc and v; the tree uses it too, which keeps the NaN
// propagation of max/min intact (a NaN partial wins from either side).
// Elements are read as stored (TMEM) and widened (TLOAD); out holds the compute type T, so
// a bfloat16 sum accumulates in float and the host rounds it once (OpenClBackend.reduce).
// K: the kept dimensions of x (output order); R: the reduced dimensions of x.
// out[g] for group g: output g / chunks, chunk g % chunks.
__kernel void reduce_$NAME_$T(__global T* out, __global const TMEM* xs, Layout K, Layout R,
                              int chunks, __local T* part) {
    int g = get_group_id(0), lid = get_local_id(0), lsz = get_local_size(0);
    int base = K.off[0] + offset0(&K, g / chunks);
    int per = (R.n + chunks - 1) / chunks;
    int from = (g % chunks) * per, to = min(R.n, from + per);
    T acc = $IDENTITY;
    for (int r = from + lid; r < to; r += lsz) {
        T v = TLOAD(xs[base + offset0(&R, r)]);
        acc = $COMBINE;
    }
    part[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            T v = part[lid + s];
            acc = part[lid];
            part[lid] = $COMBINE;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[g] = part[0];
}
