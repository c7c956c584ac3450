package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.UnaryOp;

/** Plain loops over the ops' scalar definitions: the reference and the fallback path. */
final class ScalarRowKernels implements RowKernels {
    @Override
    public void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n) {
        if (x instanceof float[] xf) {
            float[] of = (float[]) out;
            for (int i = 0; i < n; i++) of[oo + i] = (float) op.apply(xf[xo + i * xs]);
        } else {
            double[] xd = (double[]) x, od = (double[]) out;
            for (int i = 0; i < n; i++) od[oo + i] = op.apply(xd[xo + i * xs]);
        }
    }

    @Override
    public void binary(BinaryOp op, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int n) {
        if (a instanceof float[] af) {
            float[] bf = (float[]) b, of = (float[]) out;
            for (int i = 0; i < n; i++) of[oo + i] = (float) op.apply(af[ao + i * as], bf[bo + i * bs]);
        } else {
            double[] ad = (double[]) a, bd = (double[]) b, od = (double[]) out;
            for (int i = 0; i < n; i++) od[oo + i] = op.apply(ad[ao + i * as], bd[bo + i * bs]);
        }
    }
}
