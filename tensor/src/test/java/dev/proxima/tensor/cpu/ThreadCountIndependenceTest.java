package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Pool2dSpec;
import dev.proxima.tensor.Rng;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The CNN kernels (conv2d and its two adjoints, the max-pool argmax, BatchNorm forward,
 * backward and statistics) give the same bits with 1, 2 and 3 threads: their work is split
 * into pieces whose results do not depend on how many there are (whole GEMM dot products,
 * whole channels, whole planes), never into partial sums combined in a thread-dependent order.
 * Shapes are large enough that 2 and 3 threads really split the work.
 *
 * <p>The thread count is read once from {@code proxima.threads}; this test sets the cached
 * value directly (and restores it), which is what a fresh JVM per setting would do.
 */
class ThreadCountIndependenceTest {

    private static int setThreads(int n) throws ReflectiveOperationException {
        Field f = Parallel.class.getDeclaredField("threads");
        f.setAccessible(true);
        int before = Parallel.threads();
        f.setInt(null, n);
        return before;
    }

    private static List<Object> run(List<Supplier<NDArray>> kernels) {
        List<Object> r = new ArrayList<>();
        for (Supplier<NDArray> k : kernels) {
            NDArray a = k.get();
            r.add(a.dtype() == DType.INT32 ? a.toIntArray() : a.toDoubleArray());
        }
        return r;
    }

    @Property(tries = 6)
    void cnnKernelsGiveTheSameBitsForAnyThreadCount(@ForAll long seed, @ForAll boolean float64) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        DType t = float64 ? DType.FLOAT64 : DType.FLOAT32;
        Rng rng = new Rng(seed);
        int n = 32 + r.nextInt(9), c = 4 + r.nextInt(5), o = 4 + r.nextInt(13), hw = 24 + r.nextInt(9); // >= 2 Parallel.GRAIN elements
        Conv2dSpec s = Conv2dSpec.of(1 + r.nextInt(2), r.nextInt(2));
        NDArray x = NDArray.randn(rng, t, n, c, hw, hw), w = NDArray.randn(rng, t, o, c, 3, 3);
        NDArray y = NDArray.conv2d(x, w, s);
        NDArray g = NDArray.randn(rng, t, y.shape());
        NDArray bw = NDArray.randn(rng, t, c), bb = NDArray.randn(rng, t, c), gx = NDArray.randn(rng, t, x.shape());
        List<Supplier<NDArray>> kernels = List.of(
                () -> NDArray.conv2d(x, w, s),
                () -> NDArray.conv2dBackwardInput(g, w, x.shape(), s),
                () -> NDArray.conv2dBackwardWeight(x, g, w.shape(), s),
                () -> x.maxPool2dIndices(Pool2dSpec.of(2)),
                () -> x.maxPool2dIndices(Pool2dSpec.of(3, 2, 1)),
                () -> x.batchNorm(bw, bb, 1e-5),
                () -> x.batchNormStats(),
                () -> x.batchNormBackward(bw, gx, 1e-5)[0],
                () -> x.batchNormBackward(bw, gx, 1e-5)[1],
                () -> x.batchNormBackward(bw, gx, 1e-5)[2]);
        int before = setThreads(1);
        try {
            List<Object> one = run(kernels);
            for (int threads : new int[] {2, 3}) {
                setThreads(threads);
                List<Object> many = run(kernels);
                for (int i = 0; i < one.size(); i++) {
                    String what = "kernel " + i + " with " + threads + " threads, " + t;
                    if (one.get(i) instanceof int[] a) assertArrayEquals(a, (int[]) many.get(i), what);
                    else assertArrayEquals((double[]) one.get(i), (double[]) many.get(i), 0.0, what);
                }
            }
        } finally {
            setThreads(before);
        }
    }
}
