// dst[index[i][j][k]][j][k] += src[i][j][k] (torch.scatter_add_). Several source elements
// may land on one destination element, so the add is atomic: ATOMIC_ADD is a
// compare-and-swap loop on the bits for float and double (OpenCL 1.2 has no atomic float
// add), and atomic_add for int. Operands of L: (src, index, dst with its axis stride zeroed).
__kernel void scatter_add_$T(__global T* dst, __global const int* index, __global const T* src,
                             Layout L, int axisStride) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[3];
    offsets(&L, i, 3, o);
    $ATOMIC_ADD(dst + o[2] + index[o[1]] * axisStride, src[o[0]]);
}
