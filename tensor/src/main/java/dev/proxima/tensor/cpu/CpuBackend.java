package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.Backend;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.Storage;
import dev.proxima.tensor.UnaryOp;

/**
 * The CPU backend: Java arrays, elementwise rows through {@link Simd#ROWS} (Vector API or
 * scalar), and plain strided loops for the rest.
 *
 * <p>bfloat16 arrays ({@code short[]} of bits) are computed in float32 and each result is
 * rounded to bfloat16 once. Contiguous elementwise ops widen L1-sized chunks with the row
 * kernels' SIMD conversions and run the float32 kernels on them ({@link #bfloat16Chunks});
 * reductions read the bits directly into their double accumulators, and matmul's kernels as
 * they pack their blocks ({@link Gemm}); the other kernels (softmax, batch norm, max-pool
 * indices, strided views) widen whole operands to float32 ({@link #widen}, {@link #narrow}). Copies, gathers and selections move the bits without arithmetic.
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {}

    @Override
    public Device device() {
        return Device.cpu();
    }

    // ---- memory ------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, int size) {
        return CpuStorage.allocate(dtype, size);
    }

    @Override
    public Storage upload(Object javaArray) {
        return new CpuStorage(javaArray);
    }

    @Override
    public Object download(NDArray x) {
        CpuStorage s = storage(x);
        int n = x.size();
        if (n == 0) return CpuStorage.allocate(x.dtype(), 0).data; // an empty view may carry any offset
        if (x.isContiguous()) {
            Object r = CpuStorage.allocate(x.dtype(), n).data;
            System.arraycopy(s.data, x.offset(), r, 0, n);
            return r;
        }
        return storage(x.contiguous()).data;
    }

    /**
     * Walks the two innermost (merged) dimensions as one block per call: window views
     * (im2col's sliding windows, col2im's strided targets, padding) have rows of only a few
     * dozen elements, where a call and an odometer step per row would cost more than the copy.
     * Blocks run in parallel: the contract says {@code dst}'s elements do not overlap, so
     * every element is written by one thread, once, whatever the split.
     */
    @Override
    public void copyInto(NDArray dst, NDArray src, boolean accumulate) {
        if (dst.size() == 0) return; // an empty view may carry any strides (the block walk below would not see it is empty)
        dst.storage().bumpVersion();
        Object d = storage(dst).data, s = storage(src).data;
        Strided walk = new Strided(dst.shape(), new int[][] {dst.strides(), src.strides()});
        int nd = walk.shape.length, len = walk.rowLength(), dc = walk.innerStride(0), sc = walk.innerStride(1);
        Strided blocks = nd == 1 ? new Strided(new int[] {1}, new int[][] {{0}, {0}})
                : new Strided(java.util.Arrays.copyOf(walk.shape, nd - 1),
                        new int[][] {java.util.Arrays.copyOf(walk.strides[0], nd - 1), java.util.Arrays.copyOf(walk.strides[1], nd - 1)});
        int dr = blocks.innerStride(0), sr = blocks.innerStride(1), rowsPer = blocks.rowLength();
        Strided.Row body = (off, rows) -> copyBlock(d, off[0], dr, dc, s, off[1], sr, sc, rows, len, accumulate);
        int[] base = {dst.offset(), src.offset()};
        Parallel.forRange(blocks.rowCount(), (long) rowsPer * len, Parallel.GRAIN, 1, (f, t) -> blocks.forRows(base, f, t, body));
    }

    private static void addRow(float[] d, int od, int dc, float[] s, int os, int sc, int n) {
        if (dc == 1 && sc == 1) for (int i = 0; i < n; i++) d[od + i] += s[os + i]; // unit stride: C2 vectorizes it
        else for (int i = 0; i < n; i++) d[od + i * dc] += s[os + i * sc];
    }

    /** {@code rows} rows of {@code n} elements: row strides {@code dr}, {@code sr}; element strides {@code dc}, {@code sc}. */
    private static void copyBlock(Object d, int od, int dr, int dc, Object s, int os, int sr, int sc, int rows, int n, boolean accumulate) {
        if (d instanceof float[] df && s instanceof float[] sf) {
            for (int r = 0; r < rows; r++, od += dr, os += sr) {
                if (accumulate) addRow(df, od, dc, sf, os, sc, n);
                else if (dc == 1 && sc == 1) System.arraycopy(sf, os, df, od, n);
                else for (int i = 0; i < n; i++) df[od + i * dc] = sf[os + i * sc];
            }
        } else if (d instanceof double[] dd && s instanceof double[] sd) {
            for (int r = 0; r < rows; r++, od += dr, os += sr) {
                if (accumulate) for (int i = 0; i < n; i++) dd[od + i * dc] += sd[os + i * sc];
                else if (dc == 1 && sc == 1) System.arraycopy(sd, os, dd, od, n);
                else for (int i = 0; i < n; i++) dd[od + i * dc] = sd[os + i * sc];
            }
        } else if (!accumulate && d instanceof short[] dh && s instanceof short[] sh) { // bfloat16 bits move unchanged
            for (int r = 0; r < rows; r++, od += dr, os += sr) {
                if (dc == 1 && sc == 1) System.arraycopy(sh, os, dh, od, n);
                else for (int i = 0; i < n; i++) dh[od + i * dc] = sh[os + i * sc];
            }
        } else if (!accumulate && d instanceof short[] dh && s instanceof float[] sf) { // narrowing, rounded once
            for (int r = 0; r < rows; r++, od += dr, os += sr) {
                if (dc == 1 && sc == 1) Simd.rows().narrow(sf, os, dh, od, n);
                else for (int i = 0; i < n; i++) dh[od + i * dc] = BFloat16.fromFloat(sf[os + i * sc]);
            }
        } else if (!accumulate && d instanceof float[] df && s instanceof short[] sh) { // widening, exact
            for (int r = 0; r < rows; r++, od += dr, os += sr) {
                if (dc == 1 && sc == 1) Simd.rows().widen(sh, os, df, od, n);
                else for (int i = 0; i < n; i++) df[od + i * dc] = BFloat16.toFloat(sh[os + i * sc]);
            }
        } else if (!accumulate && d instanceof double[] dd && s instanceof int[] si) { // INT32 to FLOAT64 (Backend.indexRange's default)
            for (int r = 0; r < rows; r++, od += dr, os += sr)
                for (int i = 0; i < n; i++) dd[od + i * dc] = si[os + i * sc];
        } else { // another dtype conversion, or INT32: through double, which holds every int, float and bfloat16 exactly
            CpuStorage ds = new CpuStorage(d), ss = new CpuStorage(s);
            for (int r = 0; r < rows; r++, od += dr, os += sr)
                for (int i = 0; i < n; i++) {
                    double v = ss.read(os + i * sc);
                    int at = od + i * dc;
                    ds.write(at, accumulate ? ds.read(at) + v : v);
                }
        }
    }

    // ---- elementwise -------------------------------------------------------------------
    //
    // Contiguous operands (and stride-0 scalars) below Parallel.GRAIN elements go straight to
    // one row kernel call: no walker, no lambda, no task. Autograd runs long chains of ops on
    // small arrays, where this fixed cost is all there is.

    @Override
    public NDArray unary(UnaryOp op, NDArray x) {
        if (x.dtype() == DType.BFLOAT16)
            return x.isContiguous() ? bfloat16Chunks(new NDArray[] {x}, new int[] {1}, (in, s, o, n) -> Simd.rows().unary(op, in[0], 0, 1, o, 0, n))
                    : narrow(unary(op, widen(x)));
        NDArray out = fresh(x.dtype(), x.shape());
        Object o = storage(out).data, xs = storage(x).data;
        int size = out.size(), xo = x.offset();
        if (x.isContiguous()) {
            if (size < Parallel.GRAIN) Simd.rows().unary(op, xs, xo, 1, o, 0, size);
            else Parallel.forRange(size, 1, Parallel.GRAIN, 64, (f, t) -> Simd.rows().unary(op, xs, xo + f, 1, o, f, t - f));
            return out;
        }
        Strided walk = new Strided(x.shape(), new int[][] {out.strides(), x.strides()});
        int in = walk.innerStride(1);
        rows(walk, new int[] {0, xo}, (off, n) -> Simd.rows().unary(op, xs, off[1], in, o, off[0], n));
        return out;
    }

    @Override
    public NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        int fa = flatStride(a), fb = flatStride(b);
        if (a.dtype() == DType.BFLOAT16)
            return fa >= 0 && fb >= 0 ? bfloat16Chunks(new NDArray[] {a, b}, new int[] {fa, fb},
                            (in, s, o, n) -> Simd.rows().binary(op, in[0], 0, s[0], in[1], 0, s[1], o, 0, n))
                    : narrow(binary(op, widen(a), widen(b)));
        NDArray out = fresh(a.dtype(), a.shape());
        Object o = storage(out).data, as = storage(a).data, bs = storage(b).data;
        int size = out.size(), ao = a.offset(), bo = b.offset();
        if (fa >= 0 && fb >= 0) {
            if (size < Parallel.GRAIN) Simd.rows().binary(op, as, ao, fa, bs, bo, fb, o, 0, size);
            else Parallel.forRange(size, 1, Parallel.GRAIN, 64,
                    (f, t) -> Simd.rows().binary(op, as, ao + f * fa, fa, bs, bo + f * fb, fb, o, f, t - f));
            return out;
        }
        Strided walk = new Strided(a.shape(), new int[][] {out.strides(), a.strides(), b.strides()});
        int sa = walk.innerStride(1), sb = walk.innerStride(2);
        rows(walk, new int[] {0, ao, bo}, (off, n) -> Simd.rows().binary(op, as, off[1], sa, bs, off[2], sb, o, off[0], n));
        return out;
    }

    /** 1 when {@code x} is contiguous, 0 when every element is one value (all strides 0), else -1. */
    private static int flatStride(NDArray x) {
        if (x.isContiguous()) return 1;
        for (int s : x.strides()) if (s != 0) return -1;
        return 0;
    }

    /** Runs a walk's rows, split across threads when there is enough work. */
    private static void rows(Strided walk, int[] base, Strided.Row body) {
        rows(walk, base, walk.rowLength(), body);
    }

    /** The same, when one row is worth {@code workPerRow} elements of work. */
    private static void rows(Strided walk, int[] base, long workPerRow, Strided.Row body) {
        Parallel.forRange(walk.rowCount(), workPerRow, Parallel.GRAIN, 1, (f, t) -> walk.forRows(base, f, t, body));
    }

    @Override
    public NDArray where(NDArray cond, NDArray a, NDArray b) {
        NDArray out = fresh(a.dtype(), a.shape());
        CpuStorage o = storage(out), c = storage(cond), sa = storage(a), sb = storage(b);
        Strided walk = new Strided(a.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()});
        int cs = walk.innerStride(1), as = walk.innerStride(2), bs = walk.innerStride(3);
        walk.forRows(new int[] {0, cond.offset(), a.offset(), b.offset()}, 0, walk.rowCount(), (off, n) -> {
            for (int i = 0; i < n; i++)
                o.write(off[0] + i, c.read(off[1] + i * cs) != 0 ? sa.read(off[2] + i * as) : sb.read(off[3] + i * bs));
        });
        return out;
    }

    // ---- reductions --------------------------------------------------------------------
    //
    // Independent of the thread count: where the work along a reduced axis is split, it is
    // split into blocks fixed by the shape alone (REDUCE_BLOCK elements each), whose partial
    // results are combined in a fixed pairwise tree. Threads only decide who computes which
    // block, never which numbers are added in which order, so 1, 2 or 16 threads give the
    // same bits (on one SIMD path). Where each output element is computed by one thread from
    // start to end (a kept axis outermost), nothing needs splitting.

    /**
     * Elements per block of a split reduction: the parallel grain, so a block is worth handing
     * to a thread, and the pairwise tree over blocks costs one combine per 32K elements.
     */
    static final int REDUCE_BLOCK = Parallel.GRAIN;

    /**
     * The most partial accumulator values a split reduction keeps: 64 KiB of doubles, which
     * stay in cache while the blocks fill them (more cost 1.5x on a [1024, 1024] column sum).
     */
    private static final int MAX_PARTIALS = 1 << 13;

    /** Columns per task when the rows of a matrix fold into one row (a multiple of every lane count). */
    private static final int COLUMN_CHUNK = 4096;

    /**
     * Accumulates in a double array shaped like the output, then rounds once into it. The
     * walk covers x with the output's strides set to 0 on the reduced axes, after ordering the
     * axes by decreasing stride of x: memory is then read forward whatever the view, and each
     * row either reduces to one accumulator (the reduced axis is innermost) or folds into a
     * row of them (a kept axis is innermost, e.g. summing the rows of a matrix), both SIMD.
     */
    @Override
    public NDArray reduce(ReduceOp op, NDArray x, int[] axes) {
        DType resultType = x.dtype(); // bfloat16 rows are widened exactly on load (RowKernels); the double accumulators round once into the result
        int[] shape = x.shape(), strides = x.strides();
        int nd = shape.length;
        int[] outShape = shape.clone();
        for (int a : axes) outShape[a] = 1;
        NDArray out = fresh(resultType, outShape);
        int outSize = out.size();
        int[] accStrides = Shapes.contiguousStrides(outShape);
        for (int a : axes) accStrides[a] = 0;
        int[] order = new int[nd];
        for (int d = 0; d < nd; d++) {
            int j = d; // insertion sort, stable: decreasing |stride| of x
            while (j > 0 && Math.abs(strides[order[j - 1]]) < Math.abs(strides[d])) { order[j] = order[j - 1]; j--; }
            order[j] = d;
        }
        int[] ps = new int[nd], pacc = new int[nd], px = new int[nd];
        for (int d = 0; d < nd; d++) { ps[d] = shape[order[d]]; pacc[d] = accStrides[order[d]]; px[d] = strides[order[d]]; }
        Strided walk = new Strided(ps, new int[][] {pacc, px});
        Object xd = storage(x).data;
        double[] acc = identities(op, outSize);
        int as = walk.innerStride(0), xs = walk.innerStride(1), len = walk.rowLength(), rows = walk.rowCount();
        int[] base = {0, x.offset()};
        if (rows == 1 && as == 0) {
            // One long row (e.g. the sum of a whole contiguous array): one partial result per block.
            int blocks = (int) (((long) len + REDUCE_BLOCK - 1) / REDUCE_BLOCK);
            double[] part = new double[blocks];
            int xo = x.offset();
            Parallel.forRange(blocks, REDUCE_BLOCK, Parallel.GRAIN, 1, (b0, b1) -> {
                for (int b = b0; b < b1; b++) {
                    int from = b * REDUCE_BLOCK, n = Math.min(len - from, REDUCE_BLOCK);
                    part[b] = Simd.rows().reduce(op, xd, xo + from * xs, xs, n);
                }
            });
            acc[0] = blocks == 0 ? op.identity() : pairwise(op, part);
        } else if (walk.strides[0][0] != 0 || walk.shape.length == 1) {
            // The outermost axis is kept: chunks of it write disjoint accumulators, each from
            // start to end on one thread.
            int outer = walk.shape[0], rowsPer = rows / Math.max(outer, 1);
            if (walk.shape.length == 1) { outer = 1; rowsPer = 1; }
            int per = rowsPer;
            Parallel.forRange(outer, (long) per * len, Parallel.GRAIN, 1,
                    (f, t) -> walk.forRows(base, f * per, t * per, reduceRows(op, acc, xd, as, xs)));
        } else {
            // The outermost axis is reduced: blocks of rows fold into accumulators of their own.
            // Their number depends on the shape alone, capped so that the partial accumulators
            // stay small beside x (at most an eighth of its size and MAX_PARTIALS values: the
            // 1024 rows of a [1024, 1024] array fold into 8 partial rows, not 32).
            long total = (long) rows * len;
            int rowsPerBlock = (int) Math.max(1, (REDUCE_BLOCK + len - 1) / Math.max(len, 1));
            long byBlock = (rows + (long) rowsPerBlock - 1) / rowsPerBlock;
            int out1 = Math.max(outSize, 1);
            int blocks = (int) Math.max(1, Math.min(Math.min(byBlock, total / (8L * out1)), MAX_PARTIALS / out1));
            double[][] parts = new double[blocks][];
            parts[0] = acc;
            for (int b = 1; b < blocks; b++) parts[b] = identities(op, outSize);
            boolean matrix = walk.shape.length == 2 && as == 1;
            // Rows of a matrix into one row also split by columns, which changes no bit (each
            // column folds its rows in order, and chunks start at multiples of 64 so the SIMD
            // body and tail see the same columns): threads stay busy with few blocks.
            int cols = matrix ? Math.max(1, (len + COLUMN_CHUNK - 1) / COLUMN_CHUNK) : 1;
            Parallel.forRange(blocks * cols, total / ((long) blocks * cols), Parallel.GRAIN, 1, (u0, u1) -> {
                for (int u = u0; u < u1; u++) {
                    int b = u / cols, c = u % cols;
                    int from = (int) ((long) rows * b / blocks), to = (int) ((long) rows * (b + 1) / blocks);
                    if (matrix) {
                        int c0 = c * COLUMN_CHUNK, n = Math.min(len - c0, COLUMN_CHUNK), rs = walk.strides[1][0];
                        Simd.rows().accumulate(op, parts[b], c0, xd, base[1] + from * rs + c0 * xs, xs, n, to - from, rs);
                    } else walk.forRows(base, from, to, reduceRows(op, parts[b], xd, as, xs));
                }
            });
            for (int step = 1; step < blocks; step *= 2) // the pairwise tree, elementwise (SIMD)
                for (int b = 0; b + step < blocks; b += 2 * step)
                    Simd.rows().accumulate(op, parts[b], 0, parts[b + step], 0, 1, outSize, 1, outSize);
        }
        Object o = storage(out).data;
        if (o instanceof float[] of) for (int i = 0; i < outSize; i++) of[i] = (float) acc[i];
        else if (o instanceof short[] oh) for (int i = 0; i < outSize; i++) oh[i] = BFloat16.fromDouble(acc[i]);
        else System.arraycopy(acc, 0, o, 0, outSize);
        return out;
    }

    private static double[] identities(ReduceOp op, int n) {
        double[] a = new double[n];
        if (op.identity() != 0) java.util.Arrays.fill(a, op.identity());
        return a;
    }

    /** Combines {@code p} in a fixed pairwise tree ((p0 p1)(p2 p3))...: one result per length, whoever computed the parts. */
    private static double pairwise(ReduceOp op, double[] p) {
        for (int step = 1; step < p.length; step *= 2)
            for (int b = 0; b + step < p.length; b += 2 * step) p[b] = op.combine(p[b], p[b + step]);
        return p[0];
    }

    private static Strided.Row reduceRows(ReduceOp op, double[] acc, Object xd, int as, int xs) {
        if (as == 0) return (off, n) -> acc[off[0]] = op.combine(acc[off[0]], Simd.rows().reduce(op, xd, off[1], xs, n));
        if (as == 1) return (off, n) -> Simd.rows().accumulate(op, acc, off[0], xd, off[1], xs, n, 1, 0);
        CpuStorage s = new CpuStorage(xd);
        return (off, n) -> {
            for (int i = 0; i < n; i++) acc[off[0] + i * as] = op.combine(acc[off[0] + i * as], s.read(off[1] + i * xs));
        };
    }

    @Override
    public NDArray argReduce(ReduceOp op, NDArray x, int axis) {
        int[] outShape = x.shape();
        int len = outShape[axis], stride = x.strides()[axis];
        outShape[axis] = 1;
        NDArray out = fresh(DType.INT32, outShape);
        int[] o = (int[]) storage(out).data;
        CpuStorage s = storage(x);
        int[] kept = x.strides();
        kept[axis] = 0;
        Strided walk = new Strided(outShape, new int[][] {out.strides(), kept});
        int os = walk.innerStride(0), ks = walk.innerStride(1);
        boolean max = op == ReduceOp.MAX;
        // Each output element is its own scan: rows split across threads freely.
        Strided.Row body = s.data instanceof float[] f ? (off, n) -> { // FLOAT32 read directly, no per-element dtype switch
            for (int j = 0; j < n; j++) {
                int base = off[1] + j * ks, best = 0;
                float bv = f[base];
                for (int i = 1; i < len && !Float.isNaN(bv); i++) {
                    float v = f[base + i * stride];
                    if (Float.isNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = i; }
                }
                o[off[0] + j * os] = best;
            }
        } : (off, n) -> {
            for (int j = 0; j < n; j++) {
                int base = off[1] + j * ks, best = 0;
                double bv = s.read(base);
                for (int i = 1; i < len && !Double.isNaN(bv); i++) {
                    double v = s.read(base + i * stride);
                    if (Double.isNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = i; }
                }
                o[off[0] + j * os] = best;
            }
        };
        rows(walk, new int[] {0, x.offset()}, walk.rowLength() * (long) len, body);
        return out;
    }

    @Override
    public NDArray softmax(NDArray x, int axis, boolean log) {
        if (x.dtype() == DType.BFLOAT16) return narrow(softmax(widen(x), axis, log));
        int[] shape = x.shape();
        int len = shape[axis], stride = x.strides()[axis];
        NDArray out = fresh(x.dtype(), shape);
        Object o = storage(out).data, xd = storage(x).data;
        int ostride = out.strides()[axis];
        int[] outerShape = shape.clone();
        outerShape[axis] = 1;
        int[] kept = x.strides(), okept = out.strides();
        kept[axis] = 0;
        okept[axis] = 0;
        Strided walk = new Strided(outerShape, new int[][] {okept, kept});
        int os = walk.innerStride(0), ks = walk.innerStride(1);
        // exp dominates: one softmax element costs about as much as ~8 additions.
        Parallel.forRange(walk.rowCount(), (long) walk.rowLength() * len * 8, Parallel.GRAIN, 1,
                (from, to) -> walk.forRows(new int[] {0, x.offset()}, from, to, (off, n) -> {
                    for (int j = 0; j < n; j++)
                        Simd.rows().softmax(xd, off[1] + j * ks, stride, o, off[0] + j * os, ostride, len, log);
                }));
        return out;
    }

    // ---- matmul ------------------------------------------------------------------------

    @Override
    public NDArray matmul(NDArray a, NDArray b) {
        // bfloat16 operands: the kernels widen them as they pack them, into a float32 product rounded once
        boolean bf16 = a.dtype() == DType.BFLOAT16;
        int[] as = a.shape(), bs = b.shape();
        int nd = as.length, m = as[nd - 2], k = as[nd - 1], n = bs[nd - 1];
        int[] outShape = as.clone();
        outShape[nd - 1] = n;
        NDArray out = fresh(bf16 ? DType.FLOAT32 : a.dtype(), outShape);
        int batch = 1;
        for (int d = 0; d < nd - 2; d++) batch *= as[d];
        int[] ast = a.strides(), bst = b.strides();
        int ars = ast[nd - 2], acs = ast[nd - 1], brs = bst[nd - 2], bcs = bst[nd - 1];
        Object ad = storage(a).data, bd = storage(b).data, od = storage(out).data;
        int aOff = a.offset(), bOff = b.offset();
        long work = (long) m * n * k;
        // Small products in a batch (attention heads, per-sample layers) run one per thread;
        // so do large ones when the batch has several per thread (a convolution's images):
        // whole matrices balance better than Gemm's split of one C into kernel-step strips
        // (196 columns split as 128 + 68) and join once, not once per matrix. Either way
        // each element of C gets the same operations, so the choice never changes a bit.
        boolean perMatrix = work < Gemm.PARALLEL_WORK || batch >= 4 * Parallel.threads();
        Parallel.Range body = (from, to) -> {
            for (int t = from; t < to; t++) {
                int ao = aOff, bo = bOff, rem = t;
                for (int d = nd - 3; d >= 0; d--) {
                    int i = rem % as[d];
                    rem /= as[d];
                    ao += i * ast[d];
                    bo += i * bst[d];
                }
                Gemm.gemm(m, n, k, ad, ao, ars, acs, bd, bo, brs, bcs, od, t * m * n, !perMatrix);
            }
        };
        if (perMatrix) Parallel.forRange(batch, work, Gemm.PARALLEL_WORK, 1, body);
        else body.run(0, batch);
        return bf16 ? narrow(out) : out;
    }

    // ---- convolution -------------------------------------------------------------------
    //
    // Stride-1 float32 convolutions on the Vector API path read their GEMM operand in place
    // from a padded image (DirectConv); the rest take the im2col composition (Convolution).
    // Measured interleaved on Models.cnn's layers (see DirectConv).

    @Override
    public NDArray conv2d(NDArray x, NDArray w, Conv2dSpec spec) {
        return DirectConv.forwardApplies(x, w.shape(), spec) ? DirectConv.forward(x, w, spec) : Backend.super.conv2d(x, w, spec);
    }

    @Override
    public NDArray conv2dBackwardInput(NDArray g, NDArray w, int[] inputShape, Conv2dSpec spec) {
        return DirectConv.backwardInputApplies(g, w.shape(), spec) ? DirectConv.backwardInput(g, w, spec)
                : Backend.super.conv2dBackwardInput(g, w, inputShape, spec);
    }

    @Override
    public NDArray conv2dBackwardWeight(NDArray x, NDArray g, int[] weightShape, Conv2dSpec spec) {
        return DirectConv.backwardWeightApplies(x, weightShape, spec) ? DirectConv.backwardWeight(x, g, weightShape, spec)
                : Backend.super.conv2dBackwardWeight(x, g, weightShape, spec);
    }

    // ---- indexing ----------------------------------------------------------------------

    @Override
    public NDArray gather(NDArray x, int axis, NDArray index) {
        int[] shape = index.shape();
        NDArray out = fresh(x.dtype(), shape);
        CpuStorage o = storage(out), s = storage(x);
        int[] ix = (int[]) storage(index).data;
        int[] xst = x.strides().clone();
        int axisStride = xst[axis];
        xst[axis] = 0;
        Strided walk = new Strided(shape, new int[][] {out.strides(), index.strides(), xst});
        int os = walk.innerStride(0), is = walk.innerStride(1), xs = walk.innerStride(2);
        // Output elements are disjoint: rows split across threads freely.
        Strided.Row body = o.data instanceof float[] of && s.data instanceof float[] sf ? (off, n) -> {
            for (int i = 0; i < n; i++) of[off[0] + i * os] = sf[off[2] + i * xs + ix[off[1] + i * is] * axisStride];
        } : (off, n) -> {
            for (int i = 0; i < n; i++) o.write(off[0] + i * os, s.read(off[2] + i * xs + ix[off[1] + i * is] * axisStride));
        };
        rows(walk, new int[] {0, index.offset(), x.offset()}, body);
        return out;
    }

    @Override
    public void scatterAdd(NDArray dst, int axis, NDArray index, NDArray src) {
        CpuStorage d = storage(dst), s = storage(src);
        d.bumpVersion();
        int[] ix = (int[]) storage(index).data;
        int[] dst2 = dst.strides().clone();
        int axisStride = dst2[axis];
        dst2[axis] = 0;
        // Sequential on purpose: two source elements may add into one destination element.
        Strided walk = new Strided(index.shape(), new int[][] {src.strides(), index.strides(), dst2});
        int ss = walk.innerStride(0), is = walk.innerStride(1), ds = walk.innerStride(2);
        int[] base = {src.offset(), index.offset(), dst.offset()};
        if (d.data instanceof float[] df && s.data instanceof float[] sf)
            walk.forRows(base, 0, walk.rowCount(), (off, n) -> {
                for (int i = 0; i < n; i++) df[off[2] + i * ds + ix[off[1] + i * is] * axisStride] += sf[off[0] + i * ss];
            });
        else walk.forRows(base, 0, walk.rowCount(), (off, n) -> {
            for (int i = 0; i < n; i++) {
                int at = off[2] + i * ds + ix[off[1] + i * is] * axisStride;
                d.write(at, d.read(at) + s.read(off[0] + i * ss));
            }
        });
    }

    /** One pass over the values where they are: no FLOAT64 copy, no reductions. */
    @Override
    public int[] indexRange(NDArray index) {
        NDArray c = index.contiguous();
        int[] v = (int[]) storage(c).data;
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (int i = c.offset(), end = i + c.size(); i < end; i++) {
            lo = Math.min(lo, v[i]);
            hi = Math.max(hi, v[i]);
        }
        return new int[] {lo, hi};
    }

    // ---- fused kernels ---------------------------------------------------------------------

    @Override
    public NDArray maxPool2dIndices(NDArray x, Pool2dSpec spec) {
        return PoolKernels.maxIndices(x.dtype() == DType.BFLOAT16 ? widen(x) : x, spec); // widening keeps every order and tie
    }

    @Override
    public NDArray batchNormStats(NDArray x) {
        if (x.dtype() == DType.BFLOAT16) return narrow(batchNormStats(widen(x)));
        return BatchNormKernels.stats(x);
    }

    @Override
    public NDArray batchNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        if (x.dtype() == DType.BFLOAT16) return narrow(batchNorm(widen(x), widen(weight), widen(bias), eps));
        return BatchNormKernels.forward(x, weight, bias, eps);
    }

    @Override
    public NDArray[] batchNormBackward(NDArray x, NDArray weight, NDArray g, double eps) {
        if (x.dtype() == DType.BFLOAT16) {
            NDArray[] r = batchNormBackward(widen(x), widen(weight), widen(g), eps);
            for (int i = 0; i < r.length; i++) r[i] = narrow(r[i]);
            return r;
        }
        return BatchNormKernels.backward(x, weight, g, eps);
    }

    // ---- helpers -----------------------------------------------------------------------

    /**
     * A bfloat16 array as a contiguous float32 copy (exact). The simplest correct path: the
     * float32 kernels run unchanged, at the cost of a float32 copy of each operand.
     */
    private static NDArray widen(NDArray x) {
        return x.to(DType.FLOAT32);
    }

    /** A float32 kernel result rounded once to bfloat16. */
    private static NDArray narrow(NDArray x) {
        return x.to(DType.BFLOAT16);
    }

    /** A float32 row kernel over {@code n} elements of float32 inputs with element strides {@code s} (0 or 1), into {@code out}. */
    private interface FloatRow {
        void run(float[][] in, int[] s, float[] out, int n);
    }

    /** Elements per chunk of {@link #bfloat16Chunks}: three float32 buffers of it stay in L1. */
    private static final int BF16_CHUNK = 1024;

    /**
     * Elementwise kernels on bfloat16 operands that are contiguous or stride-0 ({@code flat}
     * strides 1 or 0): each chunk is widened into small float32 buffers, the float32 row kernel
     * runs on them, and its result is rounded once into the bfloat16 output. Same bits as
     * widening whole arrays (the kernels are elementwise, and chunks start at multiples of 64,
     * as the float32 path's parallel splits do), without their float32 copies: the memory
     * traffic is the bfloat16 arrays'.
     */
    private static NDArray bfloat16Chunks(NDArray[] xs, int[] flat, FloatRow kernel) {
        NDArray out = fresh(DType.BFLOAT16, xs[0].shape());
        short[] o = (short[]) storage(out).data;
        short[][] in = new short[xs.length][];
        int[] off = new int[xs.length], s = new int[xs.length];
        for (int k = 0; k < xs.length; k++) {
            in[k] = (short[]) storage(xs[k]).data;
            off[k] = xs[k].offset();
            s[k] = flat[k] == 0 ? 0 : 1;
        }
        int size = out.size();
        Parallel.Range body = (from, to) -> {
            float[][] buf = new float[in.length][BF16_CHUNK];
            float[] res = new float[BF16_CHUNK];
            for (int c = from; c < to; c += BF16_CHUNK) {
                int n = Math.min(BF16_CHUNK, to - c);
                for (int k = 0; k < in.length; k++) {
                    if (s[k] == 0) buf[k][0] = BFloat16.toFloat(in[k][off[k]]);
                    else Simd.rows().widen(in[k], off[k] + c, buf[k], 0, n);
                }
                kernel.run(buf, s, res, n);
                Simd.rows().narrow(res, 0, o, c, n);
            }
        };
        if (size < Parallel.GRAIN) body.run(0, size);
        else Parallel.forRange(size, 1, Parallel.GRAIN, 64, body);
        return out;
    }

    private static NDArray fresh(DType dtype, int[] shape) {
        Shapes.checkHeap("cpu kernel result", dtype, shape);
        try {
            return NDArray.wrap(CpuStorage.allocate(dtype, Shapes.numel(shape)), shape);
        } catch (OutOfMemoryError e) {
            throw Shapes.outOfMemory("cpu kernel result", dtype, shape, e);
        }
    }

    private static CpuStorage storage(NDArray x) {
        if (x.storage() instanceof CpuStorage s) return s;
        throw new IllegalArgumentException("cpu backend: array on " + x.device() + " passed to a CPU kernel");
    }
}
