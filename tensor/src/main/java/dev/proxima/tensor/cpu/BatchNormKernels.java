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

    /**
     * [mean, biased variance] of channel c, in double. Each run is summed into four
     * accumulators (elements i mod 4) combined at its end: one chain of dependent double
     * additions ran at one element per add latency (a profiled 11% of a CNN step); four
     * chains overlap. The order is fixed, so the bits are too.
     */
    private static double[] moments(Object x, int xo, int n, int cs, int s, int c) {
        long m = (long) n * s;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += sum4(x, xo + i * cs + c * s, s, 0, false);
        double mean = sum / m, sq = 0;
        for (int i = 0; i < n; i++) sq += sum4(x, xo + i * cs + c * s, s, mean, true);
        return new double[] {mean, sq / m};
    }

    /** The sum of x[at..at+len), or of its squared deviations from {@code mean}, in four interleaved accumulators. */
    private static double sum4(Object x, int at, int len, double mean, boolean squares) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0, end4 = len & ~3;
        if (x instanceof float[] f) {
            if (squares) {
                for (; i < end4; i += 4) {
                    double d0 = f[at + i] - mean, d1 = f[at + i + 1] - mean, d2 = f[at + i + 2] - mean, d3 = f[at + i + 3] - mean;
                    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
                }
                for (; i < len; i++) { double d = f[at + i] - mean; s0 += d * d; }
            } else {
                for (; i < end4; i += 4) { s0 += f[at + i]; s1 += f[at + i + 1]; s2 += f[at + i + 2]; s3 += f[at + i + 3]; }
                for (; i < len; i++) s0 += f[at + i];
            }
        } else {
            double[] d = (double[]) x;
            if (squares) {
                for (; i < end4; i += 4) {
                    double d0 = d[at + i] - mean, d1 = d[at + i + 1] - mean, d2 = d[at + i + 2] - mean, d3 = d[at + i + 3] - mean;
                    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
                }
                for (; i < len; i++) { double e = d[at + i] - mean; s0 += e * e; }
            } else {
                for (; i < end4; i += 4) { s0 += d[at + i]; s1 += d[at + i + 1]; s2 += d[at + i + 2]; s3 += d[at + i + 3]; }
                for (; i < len; i++) s0 += d[at + i];
            }
        }
        return (s0 + s1) + (s2 + s3);
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
                for (int i = 0; i < n; i++) { // four chains, as in sum4
                    int at = i * cs + ch * s, end = at + s, end4 = at + (s & ~3);
                    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                    for (; at < end4; at += 4) {
                        double g0 = gf[go + at], g1 = gf[go + at + 1], g2 = gf[go + at + 2], g3 = gf[go + at + 3];
                        a0 += g0; a1 += g1; a2 += g2; a3 += g3;
                        b0 += g0 * (xf[xo + at] - mean); b1 += g1 * (xf[xo + at + 1] - mean);
                        b2 += g2 * (xf[xo + at + 2] - mean); b3 += g3 * (xf[xo + at + 3] - mean);
                    }
                    for (; at < end; at++) { double gv = gf[go + at]; a0 += gv; b0 += gv * (xf[xo + at] - mean); }
                    sg += (a0 + a1) + (a2 + a3);
                    sgx += (b0 + b1) + (b2 + b3);
                }
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
