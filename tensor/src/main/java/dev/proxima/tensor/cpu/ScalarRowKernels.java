package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;

/**
 * Plain loops over the ops' scalar definitions, in double precision: the reference and the
 * fallback path.
 */
final class ScalarRowKernels implements RowKernels {
    @Override
    public void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n) {
        if (n == 0) return; // an empty array may sit at any offset, even past its storage
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
        if (n == 0) return; // an empty array may sit at any offset, even past its storage
        if (a instanceof float[] af) {
            float[] bf = (float[]) b, of = (float[]) out;
            for (int i = 0; i < n; i++) of[oo + i] = (float) op.apply(af[ao + i * as], bf[bo + i * bs]);
        } else {
            double[] ad = (double[]) a, bd = (double[]) b, od = (double[]) out;
            for (int i = 0; i < n; i++) od[oo + i] = op.apply(ad[ao + i * as], bd[bo + i * bs]);
        }
    }

    @Override
    public double reduce(ReduceOp op, Object x, int xo, int xs, int n) {
        // A broadcast row (stride 0) is one value n times: O(1), so reductions over views of
        // billions of elements (expand(70000, 70000).sum()) take no time. PROD keeps the loop.
        if (xs == 0 && n > 0 && op != ReduceOp.PROD) {
            double v = read(x, xo);
            return op == ReduceOp.SUM ? v * n : op.combine(op.identity(), v);
        }
        double acc = op.identity();
        if (x instanceof float[] xf) {
            for (int i = 0; i < n; i++) acc = op.combine(acc, xf[xo + i * xs]);
        } else if (x instanceof short[] xh) {
            for (int i = 0; i < n; i++) acc = op.combine(acc, BFloat16.toFloat(xh[xo + i * xs]));
        } else {
            double[] xd = (double[]) x;
            for (int i = 0; i < n; i++) acc = op.combine(acc, xd[xo + i * xs]);
        }
        return acc;
    }

    @Override
    public void accumulate(ReduceOp op, double[] acc, int ao, Object x, int xo, int xs, int n, int rows, int rs) {
        for (int r = 0; r < rows; r++) {
            int base = xo + r * rs;
            if (x instanceof float[] xf) {
                for (int i = 0; i < n; i++) acc[ao + i] = op.combine(acc[ao + i], xf[base + i * xs]);
            } else if (x instanceof short[] xh) {
                for (int i = 0; i < n; i++) acc[ao + i] = op.combine(acc[ao + i], BFloat16.toFloat(xh[base + i * xs]));
            } else {
                double[] xd = (double[]) x;
                for (int i = 0; i < n; i++) acc[ao + i] = op.combine(acc[ao + i], xd[base + i * xs]);
            }
        }
    }

    /** One element of a float, double or bfloat16 row, as a double (exact). */
    static double read(Object x, int i) {
        if (x instanceof float[] f) return f[i];
        if (x instanceof short[] h) return BFloat16.toFloat(h[i]);
        return ((double[]) x)[i];
    }

    @Override
    public void widen(short[] x, int xo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) out[oo + i] = BFloat16.toFloat(x[xo + i]);
    }

    @Override
    public void narrow(float[] x, int xo, short[] out, int oo, int n) {
        for (int i = 0; i < n; i++) out[oo + i] = BFloat16.fromFloat(x[xo + i]);
    }

    @Override
    public void softmax(Object x, int xo, int xs, Object out, int oo, int os, int n, boolean log) {
        CpuStorage s = new CpuStorage(x), o = new CpuStorage(out);
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, s.read(xo + i * xs));
        if (m == Double.NEGATIVE_INFINITY) m = 0; // an all -inf row: avoid inf - inf
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(s.read(xo + i * xs) - m);
        double logSum = Math.log(sum);
        for (int i = 0; i < n; i++) {
            double z = s.read(xo + i * xs) - m;
            o.write(oo + i * os, log ? z - logSum : Math.exp(z) / sum);
        }
    }

    /**
     * The selections of PoolKernels' general scan written out for the four elements, which
     * its loops (trip counts of 1 and 2) ran about 4x slower (measured on Models.cnn's pools).
     * Branch-free selections (C2 makes them conditional moves where it can): on random data
     * "v > best" is a coin toss. "First NaN wins" is kept by taking a NaN only while best is not one.
     */
    @Override
    public void maxPool2x2(float[] f, int base, int w, int oh, int ow, int[] out, int at) {
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w, r0 = base + top, r1 = r0 + w;
            for (int j = 0; j < ow; j++) {
                int z = 2 * j, best = top + z;
                float bv = f[r0 + z], v = f[r0 + z + 1];
                boolean take = v > bv | (v != v & bv == bv);
                best = take ? top + z + 1 : best;
                bv = take ? v : bv;
                v = f[r1 + z];
                take = v > bv | (v != v & bv == bv);
                best = take ? top + w + z : best;
                bv = take ? v : bv;
                v = f[r1 + z + 1];
                take = v > bv | (v != v & bv == bv);
                out[at++] = take ? top + w + z + 1 : best;
            }
        }
    }

}
