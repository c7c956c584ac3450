// cond may have another element type C than the values (a float mask, an int index); CLOAD
// widens it (a bfloat16 -0 is zero, as on the CPU). The values move as stored (TMEM), bit for bit.
__kernel void where_$T_$C(__global TMEM* out, __global const C* cond, __global const TMEM* as,
                        __global const TMEM* bs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[4];
    offsets(&L, i, 4, o);
    out[o[0]] = CLOAD(cond[o[1]]) != 0 ? as[o[2]] : bs[o[3]];
}
