// One kernel per UnaryOp and element type (#defines: T computes, TMEM is stored, TLOAD and
// TSTORE convert; see KernelSource.emit); $EXPR is UnaryOp.openclExpression() in x.
__kernel void unary_$NAME_$T(__global TMEM* out, __global const TMEM* xs, Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    int o[2];
    offsets(&L, i, 2, o);
    T x = TLOAD(xs[o[1]]);
    out[o[0]] = TSTORE($EXPR);
}
