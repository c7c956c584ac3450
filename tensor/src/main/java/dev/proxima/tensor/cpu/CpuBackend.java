package dev.proxima.tensor.cpu;

import dev.proxima.tensor.Backend;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.Shapes;
import dev.proxima.tensor.Storage;
import dev.proxima.tensor.UnaryOp;

/**
 * The CPU backend: Java arrays, elementwise rows through {@link Simd#ROWS} (Vector API or
 * scalar), and plain strided loops for the rest.
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

    @Override
    public void copyInto(NDArray dst, NDArray src, boolean accumulate) {
        CpuStorage d = storage(dst), s = storage(src);
        Strided walk = new Strided(dst.shape(), new int[][] {dst.strides(), src.strides()});
        int ds = walk.innerStride(0), ss = walk.innerStride(1);
        boolean sameType = d.dtype() == s.dtype();
        walk.forRows(new int[] {dst.offset(), src.offset()}, 0, walk.rowCount(), (off, n) -> {
            int od = off[0], os = off[1];
            if (sameType && !accumulate && ds == 1 && ss == 1) {
                System.arraycopy(s.data, os, d.data, od, n);
                return;
            }
            for (int i = 0; i < n; i++) {
                double v = s.read(os + i * ss);
                int at = od + i * ds;
                d.write(at, accumulate ? d.read(at) + v : v);
            }
        });
    }

    // ---- elementwise -------------------------------------------------------------------

    @Override
    public NDArray unary(UnaryOp op, NDArray x) {
        NDArray out = fresh(x.dtype(), x.shape());
        Object o = storage(out).data, xs = storage(x).data;
        Strided walk = new Strided(x.shape(), new int[][] {out.strides(), x.strides()});
        int in = walk.innerStride(1);
        walk.forRows(new int[] {0, x.offset()}, 0, walk.rowCount(),
                (off, n) -> Simd.ROWS.unary(op, xs, off[1], in, o, off[0], n));
        return out;
    }

    @Override
    public NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        NDArray out = fresh(a.dtype(), a.shape());
        Object o = storage(out).data, as = storage(a).data, bs = storage(b).data;
        Strided walk = new Strided(a.shape(), new int[][] {out.strides(), a.strides(), b.strides()});
        int sa = walk.innerStride(1), sb = walk.innerStride(2);
        walk.forRows(new int[] {0, a.offset(), b.offset()}, 0, walk.rowCount(),
                (off, n) -> Simd.ROWS.binary(op, as, off[1], sa, bs, off[2], sb, o, off[0], n));
        return out;
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

    @Override
    public NDArray reduce(ReduceOp op, NDArray x, int[] axes) {
        int[] shape = x.shape(), strides = x.strides();
        boolean[] reduced = new boolean[shape.length];
        for (int a : axes) reduced[a] = true;
        int[] outShape = shape.clone();
        for (int a : axes) outShape[a] = 1;
        NDArray out = fresh(x.dtype(), outShape);
        CpuStorage o = storage(out), s = storage(x);
        // Inner walk: the reduced axes of x; outer walk: the kept axes of x against out.
        int[] inShape = new int[shape.length], inStrides = new int[shape.length];
        int[] keptStrides = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            inShape[d] = reduced[d] ? shape[d] : 1;
            inStrides[d] = strides[d];
            keptStrides[d] = reduced[d] ? 0 : strides[d];
        }
        Strided inner = new Strided(inShape, new int[][] {inStrides});
        int is = inner.innerStride(0);
        int[] outStrides = out.strides();
        Strided outer = new Strided(outShape, new int[][] {outStrides, keptStrides});
        int os = outer.innerStride(0), ks = outer.innerStride(1);
        outer.forRows(new int[] {0, x.offset()}, 0, outer.rowCount(), (off, n) -> {
            for (int j = 0; j < n; j++) {
                double[] acc = {op.identity()};
                inner.forRows(new int[] {off[1] + j * ks}, 0, inner.rowCount(), (ioff, m) -> {
                    double a = acc[0];
                    for (int i = 0; i < m; i++) a = op.combine(a, s.read(ioff[0] + i * is));
                    acc[0] = a;
                });
                o.write(off[0] + j * os, acc[0]);
            }
        });
        return out;
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
        walk.forRows(new int[] {0, x.offset()}, 0, walk.rowCount(), (off, n) -> {
            for (int j = 0; j < n; j++) {
                int base = off[1] + j * ks, best = 0;
                double bv = s.read(base);
                for (int i = 1; i < len && !Double.isNaN(bv); i++) {
                    double v = s.read(base + i * stride);
                    if (Double.isNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = i; }
                }
                o[off[0] + j * os] = best;
            }
        });
        return out;
    }

    @Override
    public NDArray softmax(NDArray x, int axis, boolean log) {
        int[] shape = x.shape();
        int len = shape[axis], stride = x.strides()[axis];
        NDArray out = fresh(x.dtype(), shape);
        CpuStorage o = storage(out), s = storage(x);
        int ostride = out.strides()[axis];
        int[] outerShape = shape.clone();
        outerShape[axis] = 1;
        int[] kept = x.strides(), okept = out.strides();
        kept[axis] = 0;
        okept[axis] = 0;
        Strided walk = new Strided(outerShape, new int[][] {okept, kept});
        int os = walk.innerStride(0), ks = walk.innerStride(1);
        walk.forRows(new int[] {0, x.offset()}, 0, walk.rowCount(), (off, n) -> {
            for (int j = 0; j < n; j++) {
                int in = off[1] + j * ks, ob = off[0] + j * os;
                double m = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) m = Math.max(m, s.read(in + i * stride));
                if (m == Double.NEGATIVE_INFINITY) m = 0; // an all -inf row: avoid inf - inf
                double sum = 0;
                for (int i = 0; i < len; i++) sum += Math.exp(s.read(in + i * stride) - m);
                double logSum = Math.log(sum);
                for (int i = 0; i < len; i++) {
                    double z = s.read(in + i * stride) - m;
                    o.write(ob + i * ostride, log ? z - logSum : Math.exp(z) / sum);
                }
            }
        });
        return out;
    }

    // ---- matmul ------------------------------------------------------------------------

    @Override
    public NDArray matmul(NDArray a, NDArray b) {
        int[] as = a.shape(), bs = b.shape();
        int nd = as.length, m = as[nd - 2], k = as[nd - 1], n = bs[nd - 1];
        int[] outShape = as.clone();
        outShape[nd - 1] = n;
        NDArray out = fresh(a.dtype(), outShape);
        int batch = 1;
        for (int d = 0; d < nd - 2; d++) batch *= as[d];
        int[] ast = a.strides(), bst = b.strides();
        int ars = ast[nd - 2], acs = ast[nd - 1], brs = bst[nd - 2], bcs = bst[nd - 1];
        Object ad = storage(a).data, bd = storage(b).data, od = storage(out).data;
        int[] idx = new int[Math.max(nd - 2, 0)];
        for (int t = 0; t < batch; t++) {
            int ao = a.offset(), bo = b.offset(), rem = t;
            for (int d = nd - 3; d >= 0; d--) {
                idx[d] = rem % as[d];
                rem /= as[d];
                ao += idx[d] * ast[d];
                bo += idx[d] * bst[d];
            }
            Gemm.gemm(m, n, k, ad, ao, ars, acs, bd, bo, brs, bcs, od, t * m * n);
        }
        return out;
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
        walk.forRows(new int[] {0, index.offset(), x.offset()}, 0, walk.rowCount(), (off, n) -> {
            for (int i = 0; i < n; i++)
                o.write(off[0] + i * os, s.read(off[2] + i * xs + ix[off[1] + i * is] * axisStride));
        });
        return out;
    }

    @Override
    public void scatterAdd(NDArray dst, int axis, NDArray index, NDArray src) {
        CpuStorage d = storage(dst), s = storage(src);
        int[] ix = (int[]) storage(index).data;
        int[] dst2 = dst.strides().clone();
        int axisStride = dst2[axis];
        dst2[axis] = 0;
        // Sequential on purpose: two source elements may add into one destination element.
        Strided walk = new Strided(index.shape(), new int[][] {src.strides(), index.strides(), dst2});
        int ss = walk.innerStride(0), is = walk.innerStride(1), ds = walk.innerStride(2);
        walk.forRows(new int[] {src.offset(), index.offset(), dst.offset()}, 0, walk.rowCount(), (off, n) -> {
            for (int i = 0; i < n; i++) {
                int at = off[2] + i * ds + ix[off[1] + i * is] * axisStride;
                d.write(at, d.read(at) + s.read(off[0] + i * ss));
            }
        });
    }

    // ---- helpers -----------------------------------------------------------------------

    private static NDArray fresh(DType dtype, int[] shape) {
        return NDArray.wrap(CpuStorage.allocate(dtype, Shapes.numel(shape)), shape);
    }

    private static CpuStorage storage(NDArray x) {
        if (x.storage() instanceof CpuStorage s) return s;
        throw new IllegalArgumentException("cpu backend: array on " + x.device() + " passed to a CPU kernel");
    }
}
