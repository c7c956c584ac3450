// cond may have another element type C than the values T (a float mask, an int index).
__kernel void where_$T_$C(__global T* out, __global const C* cond, __global const T* as,
                        __global const T* bs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[4];
    offsets(&L, i, 4, o);
    out[o[0]] = cond[o[1]] != (C)0 ? as[o[2]] : bs[o[3]];
}
