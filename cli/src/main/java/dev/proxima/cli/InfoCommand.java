package dev.proxima.cli;

import dev.proxima.opencl.OpenClBackend;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.cpu.Parallel;
import dev.proxima.tensor.cpu.Simd;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code proxima info}: the JDK, the CPU kernel path, threads, and the devices found. */
@Command(name = "info", description = "JDK, SIMD path and lane count, threads, default device, OpenCL devices found.")
final class InfoCommand implements Runnable {
    @Override
    public void run() {
        Runtime.Version v = Runtime.version();
        System.out.println("Proxima " + Main.VERSION);
        System.out.println("JDK:        " + v + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        System.out.println("SIMD path:  " + Simd.path() + (Simd.vectorized() ? " (" + Simd.floatLanes() + " float32 lanes)"
                : " (start java with --add-modules jdk.incubator.vector for SIMD)"));
        System.out.println("Threads:    " + Parallel.threads() + " (proxima.threads / PROXIMA_THREADS; "
                + Runtime.getRuntime().availableProcessors() + " processors)");
        System.out.println("Heap:       " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB maximum (PROXIMA_HEAP)");
        System.out.println("Device:     " + Device.defaultDevice() + " (proxima.device / PROXIMA_DEVICE)");
        List<String> cl = OpenClBackend.describeAll();
        System.out.println("OpenCL:     " + cl.get(0));
        for (String line : cl.subList(1, cl.size())) System.out.println("            " + line);
    }
}
