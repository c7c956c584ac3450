package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.cpu.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Every reduction, arg-reduction, softmax, matmul and convolution (forward and gradients)
 * gives the same bits with 1, 2, 3 and 4 kernel threads, over random shapes large enough to
 * be split (up to ~400K elements) and random views. A data-parallel run, a run resumed on a
 * machine with another core count, and CI then agree bit for bit on one SIMD path.
 */
class ThreadCountIndependenceTest {
    private static final int[] THREADS = {1, 2, 3, 4};

    /** The bits {@code f} computes under each thread count, which must all be equal. */
    private static void sameBitsForEveryThreadCount(String what, Supplier<List<NDArray>> f) {
        String first = null;
        for (int t : THREADS) {
            int before = Parallel.setThreads(t);
            String bits;
            try {
                bits = hex(f.get());
            } finally {
                Parallel.setThreads(before);
            }
            if (first == null) first = bits;
            else assertEquals(first, bits, what + ": " + t + " threads differ from 1");
        }
    }

    private static String hex(List<NDArray> arrays) {
        StringBuilder sb = new StringBuilder();
        for (NDArray a : arrays) {
            sb.append(Shapes.str(a.shape())).append(':');
            if (a.dtype() == DType.INT32) for (int v : (int[]) a.backend().download(a)) sb.append(v).append(',');
            else for (double v : a.toDoubleArray()) sb.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(',');
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A random shape of rank 1..4 with up to {@code maxNumel} elements, large more often than not. */
    private static int[] shape(SplittableRandom r, int maxNumel) {
        int rank = 1 + r.nextInt(4);
        int target = r.nextInt(4) == 0 ? 1 + r.nextInt(2000) : 1 + r.nextInt(maxNumel);
        int[] s = new int[rank];
        int left = target;
        for (int d = 0; d < rank; d++) {
            int dim = d == rank - 1 ? left : Math.max(1, (int) Math.round(Math.pow(left, 1.0 / (rank - d)) * (0.3 + 1.4 * r.nextDouble())));
            s[d] = Math.max(1, Math.min(dim, left));
            left = Math.max(1, left / s[d]);
        }
        return s;
    }

    private static NDArray values(SplittableRandom r, DType dtype, int... shape) {
        int n = Shapes.numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return NDArray.of(v, shape).to(dtype);
    }

    /** The array, or a permuted or strided view of a larger one holding the same kind of values. */
    private static NDArray view(SplittableRandom r, NDArray x) {
        int nd = x.ndim();
        return switch (r.nextInt(3)) {
            case 0 -> x;
            case 1 -> {
                int[] perm = new int[nd];
                for (int i = 0; i < nd; i++) perm[i] = i;
                for (int i = nd - 1; i > 0; i--) { int j = r.nextInt(i + 1), t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
                yield x.permute(perm);
            }
            default -> x.slice(0, 0, x.shape(0), 1 + r.nextInt(2));
        };
    }

    @Property(tries = 30)
    void reductions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        // bfloat16 rows are read by the kernels as bits (widened on load), through the same blocks
        DType dtype = new DType[] {DType.FLOAT32, DType.FLOAT64, DType.BFLOAT16}[r.nextInt(3)];
        NDArray x = view(r, values(r, dtype, shape(r, 400_000)));
        int nd = x.ndim();
        List<Integer> axes = new ArrayList<>();
        for (int d = 0; d < nd; d++) if (r.nextBoolean()) axes.add(d);
        int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
        int axis = r.nextInt(nd);
        NDArray near1 = x.zip(BinaryOp.MUL, NDArray.scalar(1e-3, dtype, x.device())).zip(BinaryOp.ADD, NDArray.scalar(1, dtype, x.device()));
        sameBitsForEveryThreadCount(x + " over " + Arrays.toString(ax) + ", axis " + axis, () -> List.of(
                x.reduce(ReduceOp.SUM, ax, false), x.reduce(ReduceOp.MAX, ax, true), x.reduce(ReduceOp.MIN, ax, false),
                near1.reduce(ReduceOp.PROD, ax, false), x.sum(), Tensor.of(x).mean().data(), Tensor.of(x).var(ax, false, 1).data(),
                x.argmax(axis, false), x.softmax(axis), x.logSoftmax(axis)));
    }

    @Property(tries = 15)
    void matmulAndItsGradients(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DType dtype = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        int batch = 1 + r.nextInt(3), m = 1 + r.nextInt(160), k = 1 + r.nextInt(200), n = 1 + r.nextInt(160);
        NDArray a = values(r, dtype, batch, m, k), b = values(r, dtype, batch, k, n);
        NDArray bv = r.nextBoolean() ? b : values(r, dtype, batch, n, k).mT(); // a transposed operand
        sameBitsForEveryThreadCount("matmul [" + batch + ", " + m + ", " + k + "] x [.., " + n + "]", () -> {
            Tensor ta = Tensor.of(a).requiresGrad(true), tb = Tensor.of(bv).requiresGrad(true);
            Tensor loss = ta.matmul(tb).tanh().sum();
            List<NDArray> out = new ArrayList<>(List.of(a.matmul(bv), loss.data()));
            for (Tensor g : Autograd.grad(loss, List.of(ta, tb), false)) out.add(g.data());
            return out;
        });
    }

    @Property(tries = 10)
    void convolutionAndPoolingWithGradients(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DType dtype = r.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64;
        // maps of at least 6 leave the 2x2 pool a window even after a 3x3 kernel at stride 2, unpadded
        int batch = 1 + r.nextInt(8), cin = 1 + r.nextInt(6), cout = 1 + r.nextInt(12), h = 6 + r.nextInt(40), w = 6 + r.nextInt(40);
        int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3), stride = 1 + r.nextInt(2), pad = r.nextInt(2);
        NDArray x = values(r, dtype, batch, cin, h, w), wt = values(r, dtype, cout, cin, kh, kw);
        Conv2dSpec spec = Conv2dSpec.of(stride, pad);
        sameBitsForEveryThreadCount("conv2d " + Shapes.str(x.shape()) + " * " + Shapes.str(wt.shape()) + " " + spec, () -> {
            Tensor tx = Tensor.of(x).requiresGrad(true), tw = Tensor.of(wt).requiresGrad(true);
            Tensor y = Tensor.conv2d(tx, tw, spec);
            Tensor loss = Tensor.maxPool2d(y, Pool2dSpec.of(2, 2, 0)).tanh().sum().add(Tensor.avgPool2d(y, Pool2dSpec.of(2, 1, 0)).sum());
            List<NDArray> out = new ArrayList<>(List.of(y.data(), loss.data()));
            for (Tensor g : Autograd.grad(loss, List.of(tx, tw), false)) out.add(g.data());
            return out;
        });
    }

    /** The case: a float64 sum of 1M elements differed by 4.3e-12 between 1 and 2 threads. */
    @Example
    void aMillionElementSum() {
        NDArray x = values(new SplittableRandom(21), DType.FLOAT64, 1 << 20);
        sameBitsForEveryThreadCount("sum of 2^20 float64", () -> List.of(x.sum(), x.reshape(1024, 1024).sum(new int[] {0}, false)));
    }
}
