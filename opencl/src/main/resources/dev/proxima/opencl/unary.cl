// One kernel per UnaryOp and element type T (a #define); $EXPR is UnaryOp.openclExpression() in x.
__kernel void unary_$NAME_$T(__global T* out, __global const T* xs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[2];
    offsets(&L, i, 2, o);
    T x = xs[o[1]];
    out[o[0]] = $EXPR;
}
