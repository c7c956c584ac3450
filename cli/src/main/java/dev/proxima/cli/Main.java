package dev.proxima.cli;

import dev.proxima.tensor.Device;
import dev.proxima.tensor.cpu.Parallel;
import dev.proxima.tensor.cpu.Simd;
import java.util.Arrays;

/** The {@code proxima} command. The launcher script builds the project and calls this. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        String cmd = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (cmd) {
            case "info" -> info();
            case "bench" -> dev.proxima.bench.Bench.main(rest);
            case "help", "-h", "--help" -> help();
            default -> {
                System.err.println("proxima: unknown command '" + cmd + "'");
                help();
                System.exit(2);
            }
        }
    }

    private static void info() {
        Runtime.Version v = Runtime.version();
        System.out.println("Proxima 0.1.0-SNAPSHOT");
        System.out.println("JDK:        " + v + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        System.out.println("SIMD path:  " + Simd.path() + (Simd.vectorized() ? " (" + Simd.floatLanes() + " float32 lanes)" : ""));
        System.out.println("Threads:    " + Parallel.threads() + " (proxima.threads / PROXIMA_THREADS; " + Runtime.getRuntime().availableProcessors() + " processors)");
        System.out.println("Device:     " + Device.defaultDevice() + " (proxima.device / PROXIMA_DEVICE)");
    }

    private static void help() {
        System.out.println("""
                usage: ./proxima COMMAND [ARGS]
                  info                 JDK, SIMD path and lane count, threads, default device
                  test                 the whole test suite (mvn test)
                  bench NAME [OPTIONS] side-by-side benchmarks against NumPy/PyTorch:
                                         sgemm, elementwise, reduce, autograd, train;
                                         apo: the APO study (--quick, --long, --out DIR)
                                         --scalar          force the scalar CPU kernels
                                         --device opencl   run on the OpenCL backend
                """);
    }
}
