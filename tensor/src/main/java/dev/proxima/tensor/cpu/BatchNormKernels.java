package dev.proxima.tensor.cpu;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Shapes;

/**
 * The CPU's fused batch normalization (formulas in {@code dev.proxima.tensor.Normalization}),
 * one channel at a time: a channel of {@code x [N, C, S]} is N runs of S contiguous values,
 * 400 KB for Models.cnn's first layer at batch 128, so it stays in L2 while it is read
 * again. The forward reads it three times (mean, then the variance of the centred values:
 * two-pass, exact where one-pass sums of squares cancel; then the output); the backward
 * four (mean, variance, the sums of g and g·(x − μ), then dx). Sums are formed in double.
 *
 * <p>Channels are split between threads, whole: each channel's sums run on one thread in one
 * fixed order, so the result has the same bits for any thread count.
 */
final class BatchNormKernels {
    private BatchNormKernels() {}

    /** Per-channel [mean, 1/sqrt(var + eps) or var] of channel c, in double. */
    private static double[] moments(Object x, int xo, int n, int cs, int s, int c) {
        double sum = 0;
        long m = (long) n * s;
        if (x instanceof float[] xf) {
            for (int i = 0; i < n; i++)
                for (int at = xo + i * cs + c * s, end = at + s; at < end; at++) sum += xf[at];
            double mean = sum / m, sq = 0;
            for (int i = 0; i < n; i++)
                for (int at = xo + i * cs + c * s, end = at + s; at < end; at++) { double d = xf[at] - mean; sq += d * d; }
            return new double[] {mean, sq / m};
        }
        double[] xd = (double[]) x;
        for (int i = 0; i < n; i++)
            for (int at = xo + i * cs + c * s, end = at + s; at < end; at++) sum += xd[at];
        double mean = sum / m, sq = 0;
        for (int i = 0; i < n; i++)
            for (int at = xo + i * cs + c * s, end = at + s; at < end; at++) { double d = xd[at] - mean; sq += d * d; }
        return new double[] {mean, sq / m};
    }

    static NDArray stats(NDArray x) {
        x = x.contiguous();
        int n = x.shape(0), c = x.shape(1), s = x.size() / Math.max(1, n * c);
        Object xd = data(x);
        int xo = x.offset();
        double[] out = new double[2 * c];
        forChannels(c, (long) n * s, ch -> {
            double[] mv = moments(xd, xo, n, c * s, s, ch);
            out[ch] = mv[0];
            out[c + ch] = mv[1];
        });
        NDArray r = NDArray.of(out, 2, c);
        return x.dtype() == DType.FLOAT64 ? r : r.to(x.dtype());
    }

    static NDArray forward(NDArray x, NDArray weight, NDArray bias, double eps) {
        x = x.contiguous();
        int n = x.shape(0), c = x.shape(1), s = x.size() / Math.max(1, n * c), cs = c * s;
        double[] w = weight.toDoubleArray(), b = bias.toDoubleArray();
        Object xd = data(x);
        int xo = x.offset();
        NDArray out = fresh(x);
        Object od = data(out);
        forChannels(c, (long) n * s, ch -> {
            double[] mv = moments(xd, xo, n, cs, s, ch);
            // (x − μ)·scale + bias, with scale = w·r rounded once, as the composition does
            double scale = w[ch] / Math.sqrt(mv[1] + eps);
            if (xd instanceof float[] xf) {
                float[] o = (float[]) od;
                float mean = (float) mv[0], sc = (float) scale, sh = (float) b[ch];
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) o[at] = (xf[xo + at] - mean) * sc + sh;
            } else {
                double[] xdd = (double[]) xd, o = (double[]) od;
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) o[at] = (xdd[xo + at] - mv[0]) * scale + b[ch];
            }
        });
        return out;
    }

    static NDArray[] backward(NDArray x, NDArray weight, NDArray g, double eps) {
        x = x.contiguous();
        g = g.contiguous();
        int n = x.shape(0), c = x.shape(1), s = x.size() / Math.max(1, n * c), cs = c * s;
        long m = (long) n * s;
        double[] w = weight.toDoubleArray(), dw = new double[c], db = new double[c];
        Object xd = data(x), gd = data(g);
        int xo = x.offset(), go = g.offset();
        NDArray dx = fresh(x);
        Object od = data(dx);
        forChannels(c, 2L * n * s, ch -> {
            double[] mv = moments(xd, xo, n, cs, s, ch);
            double mean = mv[0], r = 1 / Math.sqrt(mv[1] + eps), sg = 0, sgx = 0;
            // dx = k1·g + k2·(x − μ) + k3: the formula of Normalization with r, the sums and M folded in
            if (xd instanceof float[] xf) {
                float[] gf = (float[]) gd, o = (float[]) od;
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) { float gv = gf[go + at]; sg += gv; sgx += gv * (xf[xo + at] - mean); }
                float k1 = (float) (w[ch] * r), k2 = (float) (-w[ch] * r * r * r * sgx / m), k3 = (float) (-w[ch] * r * sg / m), mf = (float) mean;
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) o[at] = k1 * gf[go + at] + k2 * (xf[xo + at] - mf) + k3;
            } else {
                double[] xdd = (double[]) xd, gdd = (double[]) gd, o = (double[]) od;
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) { double gv = gdd[go + at]; sg += gv; sgx += gv * (xdd[xo + at] - mean); }
                double k1 = w[ch] * r, k2 = -w[ch] * r * r * r * sgx / m, k3 = -w[ch] * r * sg / m;
                for (int i = 0; i < n; i++)
                    for (int at = i * cs + ch * s, end = at + s; at < end; at++) o[at] = k1 * gdd[go + at] + k2 * (xdd[xo + at] - mean) + k3;
            }
            db[ch] = sg;
            dw[ch] = sgx * r;
        });
        DType dt = x.dtype();
        return new NDArray[] {dx, NDArray.of(dw, c).to(dt), NDArray.of(db, c).to(dt)};
    }

    private interface Channel {
        void run(int c);
    }

    /** Whole channels per thread (see the class comment); {@code work} is one channel's element count. */
    private static void forChannels(int c, long work, Channel body) {
        Parallel.forRange(c, work, Parallel.GRAIN, 1, (from, to) -> {
            for (int ch = from; ch < to; ch++) body.run(ch);
        });
    }

    private static Object data(NDArray x) {
        return ((CpuStorage) x.storage()).data;
    }

    private static NDArray fresh(NDArray like) {
        Shapes.checkHeap("batchNorm", like.dtype(), like.shape());
        return NDArray.wrap(CpuStorage.allocate(like.dtype(), like.size()), like.shape());
    }
}
