package dev.proxima.tensor.bench;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;

/**
 * Times Tensor.conv2d forward (and its backward pass, both gradients) on a typical small CNN
 * layer: N=64, C=32, 28x28, O=64, 3x3, padding 1, float32. Not a test; run by hand with the
 * tests module's test class path: {@code dev.proxima.tensor.bench.Conv2dTiming [reps]}. JMH benchmarks belong in the bench module.
 */
public final class Conv2dTiming {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Rng rng = new Rng(1);
        NDArray x = NDArray.randn(rng, DType.FLOAT32, 64, 32, 28, 28);
        NDArray w = NDArray.randn(rng, DType.FLOAT32, 64, 32, 3, 3);
        Conv2dSpec spec = Conv2dSpec.of(1, 1);
        NDArray g = NDArray.randn(rng, DType.FLOAT32, 64, 64, 28, 28);
        double flops = 2.0 * 64 * 64 * 28 * 28 * 32 * 9;
        time("conv2d forward", reps, flops, () -> Tensor.conv2d(Tensor.of(x), Tensor.of(w), spec).data());
        time("unfold2d alone", reps, 0, () -> x.unfold2d(3, 3, spec));
        time("conv2d forward+backward", reps, 3 * flops, () -> {
            List<Tensor> in = List.of(Tensor.of(x).requiresGrad(true), Tensor.of(w).requiresGrad(true));
            Tensor out = Tensor.conv2d(in.get(0), in.get(1), spec);
            return Autograd.grad(List.of(out), in, List.of(Tensor.of(g)), false, false, false).get(1).data();
        });
    }

    private static void time(String name, int reps, double flops, java.util.function.Supplier<NDArray> op) {
        op.get(); // warm-up
        long best = Long.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            op.get().backend().finish();
            best = Math.min(best, System.nanoTime() - t);
        }
        double ms = best / 1e6;
        System.out.printf("%-22s best of %d: %8.1f ms%s%n", name, reps, ms,
                flops > 0 ? String.format("  (%.2f GFLOP/s)", flops / (best / 1e9) / 1e9) : "");
    }
}
