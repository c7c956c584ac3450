// One kernel per BinaryOp and element type T (a #define); $EXPR is BinaryOp.openclExpression() in a, b.
__kernel void binary_$NAME_$T(__global T* out, __global const T* as, __global const T* bs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[3];
    offsets(&L, i, 3, o);
    T a = as[o[1]], b = bs[o[2]];
    out[o[0]] = $EXPR;
}
