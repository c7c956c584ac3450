// out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (torch.gather). Operands of L:
// (out, index, x with its axis stride zeroed); axisStride is x's stride along the axis.
__kernel void gather_$T(__global TMEM* out, __global const int* index, __global const TMEM* x,
                        Layout L, int axisStride) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[3];
    offsets(&L, i, 3, o);
    out[o[0]] = x[o[2] + index[o[1]] * axisStride];
}
