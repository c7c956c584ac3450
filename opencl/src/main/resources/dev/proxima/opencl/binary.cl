// One kernel per BinaryOp and element type (T, TMEM, TLOAD, TSTORE as in unary.cl); $EXPR is
// BinaryOp.openclExpression() in a, b.
__kernel void binary_$NAME_$T(__global TMEM* out, __global const TMEM* as, __global const TMEM* bs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[3];
    offsets(&L, i, 3, o);
    T a = TLOAD(as[o[1]]), b = TLOAD(bs[o[2]]);
    out[o[0]] = TSTORE($EXPR);
}
