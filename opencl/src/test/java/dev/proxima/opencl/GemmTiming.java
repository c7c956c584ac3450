package dev.proxima.opencl;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;

/**
 * A hand-run timing of float32 matmul on an OpenCL device, until the bench module's
 * {@code sgemm --device} lands: {@code GemmTiming N [REPS]}. Prints one RESULT line. The
 * clock stops after {@code finish()}, since kernels run asynchronously. The first rows are
 * checked against the CPU.
 */
public final class GemmTiming {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        OpenClBackend be = (OpenClBackend) Device.opencl().backend();
        be.warmUp();
        Rng rng = new Rng(1);
        NDArray a = rng.normal(0, 1, DType.FLOAT32, Device.opencl(), n, n);
        NDArray b = rng.normal(0, 1, DType.FLOAT32, Device.opencl(), n, n);
        NDArray c = null;
        for (int i = 0; i < 3; i++) c = a.matmul(b);
        be.finish();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) c = a.matmul(b);
        be.finish();
        double s = (System.nanoTime() - t0) / 1e9 / reps;
        double gflops = 2.0 * n * n * n / s / 1e9;
        // Check 4 rows against the CPU.
        NDArray rows = a.slice(0, 0, 4).to(Device.cpu()).matmul(b.to(Device.cpu()));
        boolean ok = c.slice(0, 0, 4).to(Device.cpu()).allClose(rows, 1e-3, 1e-3 * Math.sqrt(n));
        System.out.printf("RESULT sgemm n=%d device=%s tiles=%s time_ms=%.3f gflops=%.1f check=%s%n",
                n, be.name(), be.gemmConfig(DType.FLOAT32), s * 1e3, gflops, ok ? "ok" : "MISMATCH");
    }
}
