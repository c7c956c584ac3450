// Softmax or log-softmax along one axis, one work-group per row: a tree for the maximum
// (NaN-propagating, like Math.max on the CPU), a tree for the sum of exp(x - max), then one
// pass that writes. An all -inf row shifts by 0 instead of -inf (no inf - inf), which gives
// NaN for softmax (0/0) and for log-softmax, exactly as the CPU backend.
// Read as stored (TMEM) and widened, computed in T, each result rounded once (TSTORE).
// K: kept dimensions with operands (out, x); the axis has length len and strides os, xs.
__kernel void softmax_$T(__global TMEM* out, __global const TMEM* x, Layout K, int len, int ostride,
                         int xstride, int logMode, __local T* part) {
    int g = get_group_id(0), lid = get_local_id(0), lsz = get_local_size(0);
    int o[2];
    offsets(&K, g, 2, o);
    T m = -INFINITY;
    for (int i = lid; i < len; i += lsz) {
        T v = TLOAD(x[o[1] + i * xstride]);
        m = (isnan(v) || v > m) ? v : m;
    }
    part[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            T v = part[lid + s], a = part[lid];
            part[lid] = (isnan(v) || v > a) ? v : a;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = part[0];
    if (m == -INFINITY) m = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    T sum = 0;
    for (int i = lid; i < len; i += lsz) sum += exp(TLOAD(x[o[1] + i * xstride]) - m);
    part[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lsz >> 1; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    sum = part[0];
    T logSum = log(sum);
    for (int i = lid; i < len; i += lsz) {
        T z = TLOAD(x[o[1] + i * xstride]) - m;
        out[o[0] + i * ostride] = TSTORE(logMode ? z - logSum : exp(z) / sum);
    }
}
