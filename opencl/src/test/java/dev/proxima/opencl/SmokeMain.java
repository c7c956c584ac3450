package dev.proxima.opencl;

import dev.proxima.tensor.*;

public class SmokeMain {
    public static void main(String[] args) {
        long t0 = System.nanoTime();
        System.out.println(OpenClBackend.describeAll());
        OpenClBackend be = (OpenClBackend) Device.opencl().backend();
        be.warmUp();
        System.out.printf("build %.1f s%n", (System.nanoTime() - t0) / 1e9);
        NDArray a = NDArray.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NDArray g = a.to(Device.opencl());
        System.out.println(g.exp() + " vs " + a.exp());
        System.out.println(g.add(g.slice(0, 0, 1)) + " vs " + a.add(a.slice(0, 0, 1)));
        System.out.println(g.sum(1) + " " + g.max() + " " + g.mT().sum(0) + " " + g.argmax(1, false));
        System.out.println(g.softmax(1) + " vs " + a.softmax(1));
        System.out.println(g.matmul(g.mT()) + " vs " + a.matmul(a.mT()));
        System.out.println(g.to(DType.FLOAT64).mul(2.0) + " live " + be.liveBuffers());
        System.out.printf("total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
