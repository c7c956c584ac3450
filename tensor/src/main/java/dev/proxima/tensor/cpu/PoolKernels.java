package dev.proxima.tensor.cpu;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.Shapes;

/**
 * Max pooling's argmax on the CPU: for each window of each {@code [H, W]} plane of
 * {@code x [N, C, H, W]}, the flat index {@code h·W + w} of its first maximum in row-major
 * window order, NaN counting as the maximum, padding never chosen (the first real element
 * starts the scan, as PyTorch's kernel does). Planes are split between threads; each output
 * is one scan, so the split never changes a bit.
 */
final class PoolKernels {
    private PoolKernels() {}

    static NDArray maxIndices(NDArray x, Pool2dSpec p) {
        x = x.contiguous();
        int[] xs = x.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int oh = p.windows().outH(h, p.kernelH()), ow = p.windows().outW(w, p.kernelW());
        int[] shape = {n, c, oh, ow};
        Shapes.checkHeap("maxPool2dIndices", DType.INT32, shape);
        int[] out = new int[n * c * oh * ow];
        Object data = ((CpuStorage) x.storage()).data;
        int xo = x.offset(), plane = h * w, outPlane = oh * ow;
        boolean pairs = data instanceof float[] && p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2
                && p.padH() == 0 && p.padW() == 0
                && plane <= 1 << 24; // the vector kernel carries indices in float32 lanes: exact up to 2^24
        RowKernels rows = Simd.rows();
        Parallel.forRange(n * c, (long) plane, Parallel.GRAIN, 1, (from, to) -> {
            for (int q = from; q < to; q++) {
                if (pairs) rows.maxPool2x2((float[]) data, xo + q * plane, w, oh, ow, out, q * outPlane);
                else windows(data, xo + q * plane, h, w, oh, ow, p, out, q * outPlane);
            }
        });
        return NDArray.of(out, shape);
    }

    /** One plane's windows, any geometry. */
    private static void windows(Object data, int base, int h, int w, int oh, int ow, Pool2dSpec p, int[] out, int at) {
        for (int i = 0; i < oh; i++) {
            int h0 = i * p.strideH() - p.padH(), h1 = Math.min(h, h0 + p.kernelH());
            h0 = Math.max(0, h0);
            for (int j = 0; j < ow; j++) {
                int w0 = j * p.strideW() - p.padW(), w1 = Math.min(w, w0 + p.kernelW());
                w0 = Math.max(0, w0);
                out[at++] = data instanceof float[] f ? argmax(f, base, w, h0, h1, w0, w1) : argmax((double[]) data, base, w, h0, h1, w0, w1);
            }
        }
    }

    // The selections are written without branches (C2 makes them conditional moves): on
    // random data "v > best" is a coin toss, and a mispredicted branch per element cost more
    // than the loads. "First NaN wins" is kept by taking a NaN only while best is not one.

    private static int argmax(float[] f, int base, int w, int h0, int h1, int w0, int w1) {
        int best = h0 * w + w0;
        float bv = f[base + best];
        for (int y = h0; y < h1; y++)
            for (int z = (y == h0 ? w0 + 1 : w0); z < w1; z++) {
                float v = f[base + y * w + z];
                boolean take = v > bv | (v != v & bv == bv);
                best = take ? y * w + z : best;
                bv = take ? v : bv;
            }
        return best;
    }

    private static int argmax(double[] f, int base, int w, int h0, int h1, int w0, int w1) {
        int best = h0 * w + w0;
        double bv = f[base + best];
        for (int y = h0; y < h1; y++)
            for (int z = (y == h0 ? w0 + 1 : w0); z < w1; z++) {
                double v = f[base + y * w + z];
                boolean take = v > bv | (v != v & bv == bv);
                best = take ? y * w + z : best;
                bv = take ? v : bv;
            }
        return best;
    }
}
