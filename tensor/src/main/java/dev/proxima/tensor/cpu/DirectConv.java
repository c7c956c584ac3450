package dev.proxima.tensor.cpu;

import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;

/**
 * Convolution with an implicit im2col, for float32 with stride 1 on the Vector API path: the
 * GEMM's operand is read in place from a zero-padded copy of each image, never materialized
 * as columns nine times its size. On the small maps of a CNN (Models.cnn's 16 -> 32 channels
 * on 14x14) copying the columns cost as much as multiplying them.
 *
 * <p>The trick is the row pitch. An image padded to {@code [C, Hp, R]} (R = W + 2 padW) is
 * read as one long row per channel; kernel tap (c, i, j) starts at {@code off = c·Hp·R +
 * i·dilH·R + j·dilW}, and output position (y, z) reads {@code off + y·R + z}. So over the
 * output grid taken R wide (OH x R positions, of which z >= OW are junk and thrown away),
 * every tap's operand row is one contiguous run of the padded image:
 * <ul>
 *   <li>forward: {@code out[o, q] = Σ_tap w[o, tap] · xpad[off(tap) + q]}, the
 *       {@link ConvTiles#shiftedColumns} tile, one image per thread at a time;</li>
 *   <li>input gradient: the same convolution of g (its transposed convolution: weights
 *       flipped in space and transposed per group, padding {@code (k-1)·dil - pad}), which
 *       needs {@code pad <= (k-1)·dil};</li>
 *   <li>weight gradient: {@code dw[o, tap] = Σ_n Σ_q g_n[o, q] · xpad_n[off(tap) + q]}, the
 *       {@link ConvTiles#dotTile} tile (lane-wise partial sums, the lanes summed in order at
 *       the end), with g copied to rows R wide per channel, zero on the junk positions and on
 *       a tail up to a whole vector. Threads split the (o, tap) tiles; each walks the whole
 *       batch in order, so the sum over images and positions has one order.</li>
 * </ul>
 * Junk positions cost OW/R of the work (12.5% on 14x14 with padding 1).
 *
 * <p>Numerics: each output element is one fused multiply-add chain in a fixed order (the
 * taps ascending, or the images then positions ascending), whatever the thread count; the
 * order differs from the im2col path's, so results differ from it in the last bits. Products
 * with zero padding or junk positions are summed as im2col sums its padding: a non-finite
 * input can turn an infinite gradient into NaN (0 x inf), as a non-finite g does on the
 * im2col path. The weight gradient's tail positions read past an image's last row into the
 * next image (or group), against zeros of g: a non-finite x there meets a zero as well.
 */
final class DirectConv {
    private DirectConv() {}

    /** Per thread, reused: the padded image and the output tile of one image. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    /** Arrays of this many floats or more per image (padded image, or weights) take the im2col path: measured on small maps only. */
    private static final int MAX_FLOATS = 1 << 16;

    /** The weight-gradient tile's shape ({@link ConvTiles#dotTile}): 4 output channels by 3 taps. */
    private static final int WEIGHT_ROWS = 4, WEIGHT_TAPS = 3;

    /**
     * Whether {@link #forward} takes this convolution of x; otherwise the im2col composition
     * does. Under 16 taps per output (a first layer's one channel: 9) a tile's depth is too
     * short to pay for its accumulators' stores, and im2col was faster (Models.cnn's conv1:
     * 5.6 vs 6.1 ms, one thread).
     */
    static boolean forwardApplies(NDArray x, int[] ws, Conv2dSpec s) {
        return ws[1] * ws[2] * ws[3] >= 16 && fits(x, ws, s.padH(), s.padW(), s);
    }

    /** Whether {@link #backwardWeight} takes it (its depth is the batch's positions, never short). */
    static boolean backwardWeightApplies(NDArray x, int[] ws, Conv2dSpec s) {
        return fits(x, ws, s.padH(), s.padW(), s);
    }

    /** Whether {@link #backwardInput} takes it: the transposed convolution's padding must not be negative. */
    static boolean backwardInputApplies(NDArray g, int[] ws, Conv2dSpec s) {
        int ph = (ws[2] - 1) * s.dilationH() - s.padH(), pw = (ws[3] - 1) * s.dilationW() - s.padW();
        return ph >= 0 && pw >= 0 && fits(g, ws, ph, pw, s);
    }

    private static boolean fits(NDArray in, int[] ws, int ph, int pw, Conv2dSpec s) {
        if (Simd.convTiles() == null || in.dtype() != DType.FLOAT32 || s.strideH() != 1 || s.strideW() != 1) return false;
        int[] is = in.shape();
        long plane = (is[2] + 2L * ph) * (is[3] + 2L * pw), image = is[1] * plane, weights = (long) ws[0] * ws[1] * ws[2] * ws[3];
        // the weight gradient holds every padded image and g (channels rounded up to a tile, rows to a vector) at once
        long batch = is[0] * (image + (ws[0] + 4L * s.groups()) * (plane + 64) + 64);
        return image < MAX_FLOATS && weights < MAX_FLOATS && batch < Integer.MAX_VALUE / 2;
    }

    // ---- forward and input gradient ----------------------------------------------------

    /** x [N, C, H, W] (*) w [O, C/G, kh, kw], stride 1: [N, O, OH, OW]. */
    static NDArray forward(NDArray x, NDArray w, Conv2dSpec s) {
        w = w.contiguous();
        int[] ws = w.shape();
        int groups = s.groups(), og = ws[0] / groups, kg = ws[1] * ws[2] * ws[3];
        int ogp = roundUp(og, Simd.convTiles().rows());
        float[] wd = floats(w), wp = new float[groups * ogp * kg]; // [G, O/G rounded up, C/G·kh·kw], zero rows past O/G
        for (int gi = 0; gi < groups; gi++)
            System.arraycopy(wd, w.offset() + gi * og * kg, wp, gi * ogp * kg, og * kg);
        return convolve(x.contiguous(), wp, ws[0], ws[2], ws[3], s.padH(), s.padW(), s.dilationH(), s.dilationW(), groups);
    }

    /**
     * The input gradient: g [N, O, OH, OW] convolved with w flipped in space and transposed
     * per group ([C, O/G, kh, kw]), padding (k-1)·dil - pad, stride 1; its output is x's shape.
     */
    static NDArray backwardInput(NDArray g, NDArray w, Conv2dSpec s) {
        w = w.contiguous();
        int[] ws = w.shape();
        int groups = s.groups(), og = ws[0] / groups, cg = ws[1], kh = ws[2], kw = ws[3], kg = og * kh * kw, wo = w.offset();
        int cgp = roundUp(cg, Simd.convTiles().rows());
        float[] wd = floats(w), wp = new float[groups * cgp * kg]; // [G, C/G rounded up, O/G·kh·kw]
        for (int gi = 0; gi < groups; gi++)
            for (int o = 0; o < og; o++)
                for (int ci = 0; ci < cg; ci++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                            wp[((gi * cgp + ci) * og + o) * kh * kw + (kh - 1 - i) * kw + (kw - 1 - j)]
                                    = wd[wo + (((gi * og + o) * cg + ci) * kh + i) * kw + j];
        return convolve(g.contiguous(), wp, groups * cg, kh, kw, (kh - 1) * s.dilationH() - s.padH(), (kw - 1) * s.dilationW() - s.padW(),
                s.dilationH(), s.dilationW(), groups);
    }

    /**
     * x [N, C, H, W] with packed weights wp [G, O/G rounded up to the tile's rows, C/G·kh·kw]
     * to [N, outChannels, OH, OW], stride 1. Images are split between threads.
     */
    private static NDArray convolve(NDArray xa, float[] wp, int outChannels, int kh, int kw, int ph, int pw, int dh, int dw, int groups) {
        ConvTiles t = Simd.convTiles();
        int mr = t.rows(), nr = t.cols();
        int[] xs = xa.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], cg = c / groups, og = outChannels / groups, ogp = roundUp(og, mr);
        int kg = cg * kh * kw;
        int r = w + 2 * pw, hp = h + 2 * ph, plane = hp * r;
        int oh = hp - (kh - 1) * dh, ow = r - (kw - 1) * dw;
        int cols = roundUp(oh * r, nr); // output positions computed per image, junk included
        int[] off = taps(cg, kh, kw, plane, r, dh, dw);
        int padded = c * plane + (cols - oh * r) + (kw - 1) * dw; // the last tap's last tile reads up to here
        float[] xd = floats(xa), out = new float[n * outChannels * oh * ow];
        int xo = xa.offset();
        Parallel.forRange(n, (long) outChannels * kg * oh * ow, Gemm.PARALLEL_WORK, 1, (from, to) -> {
            float[][] buf = BUFFERS.get();
            if (buf[0].length < padded) buf[0] = new float[padded];
            if (buf[1].length < ogp * cols) buf[1] = new float[ogp * cols];
            float[] xb = buf[0], tile = buf[1];
            java.util.Arrays.fill(xb, 0, padded, 0f); // the border stays zero: only the interior is written below
            for (int b = from; b < to; b++) {
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        System.arraycopy(xd, xo + ((b * c + ch) * h + y) * w, xb, ch * plane + (y + ph) * r + pw, w);
                for (int gi = 0; gi < groups; gi++) {
                    int a0 = gi * ogp * kg, x0 = gi * cg * plane;
                    for (int jr = 0; jr < cols; jr += nr) // the tap rows of one column block stay in L1 while every row block passes
                        for (int ir = 0; ir < ogp; ir += mr)
                            t.shiftedColumns(kg, wp, a0 + ir * kg, kg, xb, off, x0 + jr, tile, ir * cols + jr, cols, false);
                    for (int o = 0; o < og; o++)
                        for (int y = 0; y < oh; y++)
                            System.arraycopy(tile, o * cols + y * r, out, ((b * outChannels + gi * og + o) * oh + y) * ow, ow);
                }
            }
        });
        return NDArray.of(out, n, outChannels, oh, ow);
    }

    // ---- weight gradient ---------------------------------------------------------------

    /** dw [O, C/G, kh, kw] for x [N, C, H, W] and g [N, O, OH, OW], stride 1. */
    static NDArray backwardWeight(NDArray xa, NDArray ga, int[] weightShape, Conv2dSpec s) {
        xa = xa.contiguous();
        ga = ga.contiguous();
        ConvTiles t = Simd.convTiles();
        int lanes = t.lanes();
        int[] xs = xa.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], groups = s.groups();
        int outChannels = weightShape[0], cg = weightShape[1], kh = weightShape[2], kw = weightShape[3];
        int og = outChannels / groups, ogp = roundUp(og, WEIGHT_ROWS), kg = cg * kh * kw, kgp = roundUp(kg, WEIGHT_TAPS);
        int ph = s.padH(), pw = s.padW(), dh = s.dilationH(), dw = s.dilationW();
        int r = w + 2 * pw, hp = h + 2 * ph, plane = hp * r;
        int oh = hp - (kh - 1) * dh, ow = r - (kw - 1) * dw, depth = roundUp(oh * r, lanes); // positions, junk and a zero tail included
        int[] off = taps(cg, kh, kw, plane, r, dh, dw);
        int padded = c * plane + (kw - 1) * dw + depth - oh * r; // the last tap reads up to here
        int gImage = groups * ogp * depth;
        float[] xd = floats(xa), gd = floats(ga);
        int xo = xa.offset(), go = ga.offset();
        // Every image padded, and g laid out as [G, O/G rounded up, depth] per image: rows R
        // wide, zero at the junk positions, the tail and the rows past O/G. Both operands of
        // the tile are then read in order; g needs no transpose (its strided transposing copy
        // cost more than the products on Models.cnn's conv1).
        float[] xall = new float[n * padded], gall = new float[n * gImage];
        Parallel.forRange(n, (long) (c * h + outChannels * oh) * w, Parallel.GRAIN, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        System.arraycopy(xd, xo + ((b * c + ch) * h + y) * w, xall, b * padded + ch * plane + (y + ph) * r + pw, w);
                for (int gi = 0; gi < groups; gi++)
                    for (int o = 0; o < og; o++)
                        for (int y = 0; y < oh; y++)
                            System.arraycopy(gd, go + ((b * outChannels + gi * og + o) * oh + y) * ow, gall,
                                    b * gImage + (gi * ogp + o) * depth + y * r, ow);
            }
        });
        // Lane-wise partial sums, 12 vectors per (4 o x 3 taps) tile; threads split the tiles
        // and each walks the whole batch in order.
        float[] acc = new float[groups * ogp * kgp * lanes];
        int rowTiles = ogp / WEIGHT_ROWS, tapTiles = kgp / WEIGHT_TAPS, tiles = groups * rowTiles * tapTiles;
        Parallel.forRange(tiles, (long) WEIGHT_ROWS * WEIGHT_TAPS * depth * n, Gemm.PARALLEL_WORK, 1, (from, to) -> {
            for (int b = 0; b < n; b++) // images outermost: one image's x and g stay in cache while this thread's tiles pass
                for (int q = from; q < to; q++) {
                    int gi = q / (rowTiles * tapTiles), orow = q / tapTiles % rowTiles * WEIGHT_ROWS, k = q % tapTiles * WEIGHT_TAPS;
                    int x0 = b * padded + gi * cg * plane;
                    t.dotTile(depth, gall, b * gImage + (gi * ogp + orow) * depth, depth, xall, x0 + tap(off, k, kg), x0 + tap(off, k + 1, kg),
                            x0 + tap(off, k + 2, kg), acc, q * WEIGHT_ROWS * WEIGHT_TAPS * lanes, b > 0);
                }
        });
        // Each (o, tap) sums its lanes in order; tile q holds its row r, tap t at (q·12 + r·3 + t)·lanes.
        float[] dwd = new float[outChannels * kg];
        for (int gi = 0; gi < groups; gi++)
            for (int o = 0; o < og; o++)
                for (int k = 0; k < kg; k++) {
                    int at = (((gi * rowTiles + o / WEIGHT_ROWS) * tapTiles + k / WEIGHT_TAPS) * WEIGHT_ROWS * WEIGHT_TAPS
                            + o % WEIGHT_ROWS * WEIGHT_TAPS + k % WEIGHT_TAPS) * lanes;
                    float sum = 0;
                    for (int l = 0; l < lanes; l++) sum += acc[at + l];
                    dwd[(gi * og + o) * kg + k] = sum;
                }
        return NDArray.of(dwd, weightShape);
    }

    // ---- helpers -----------------------------------------------------------------------

    /** Where each tap (ci, i, j) of one group's kernel starts in the padded image, in tap order. */
    private static int[] taps(int cg, int kh, int kw, int plane, int r, int dh, int dw) {
        int[] off = new int[cg * kh * kw];
        for (int ci = 0; ci < cg; ci++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++) off[(ci * kh + i) * kw + j] = ci * plane + i * dh * r + j * dw;
        return off;
    }

    /** off[k], or 0 for the rows that only fill a partial tile (their results are discarded). */
    private static int tap(int[] off, int k, int kg) {
        return k < kg ? off[k] : 0;
    }

    private static float[] floats(NDArray a) {
        if (!a.isContiguous()) throw new IllegalStateException("DirectConv: expected a contiguous array");
        return (float[]) ((CpuStorage) a.storage()).data;
    }

    private static int roundUp(int x, int step) {
        return (x + step - 1) / step * step;
    }
}
