package dev.proxima.bench;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;

/**
 * The options every side-by-side benchmark takes. {@code --scalar} is acted on by the
 * launcher (it sets {@code -Dproxima.simd=scalar} and leaves the Vector API module out);
 * here it is only accepted, and the SIMD path that actually ran is printed. {@code --dtype bf16}
 * adds a bfloat16 run of every case on the same shapes, printed beside the float32 one
 * ({@code dtype} is null when only float32 runs).
 */
record BenchOptions(String name, Device device, int repeat, DType dtype) {
    static BenchOptions parse(String name, String[] args, int defaultRepeat) {
        Device device = Device.cpu();
        int repeat = defaultRepeat;
        DType dtype = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scalar" -> { }
                case "--device" -> device = Device.parse(value(name, args, ++i, "--device"));
                case "--repeat" -> {
                    String v = value(name, args, ++i, "--repeat");
                    try {
                        repeat = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        repeat = 0;
                    }
                    if (repeat < 1) usage(name, "--repeat " + v + ": expected a positive integer");
                }
                case "--dtype" -> {
                    String v = value(name, args, ++i, "--dtype");
                    dtype = switch (v) {
                        case "bf16", "bfloat16" -> DType.BFLOAT16;
                        case "f32", "float32" -> null;
                        default -> { usage(name, "--dtype " + v + ": expected bf16 or float32"); yield null; }
                    };
                }
                default -> usage(name, "unknown option '" + args[i] + "'");
            }
        }
        if (dtype != null && !device.kind().equals("cpu"))
            usage(name, "--dtype " + dtype + " runs on the CPU only (no bfloat16 on " + device + " yet)");
        return new BenchOptions(name, device, repeat, dtype);
    }

    private static String value(String name, String[] args, int i, String option) {
        if (i >= args.length) usage(name, option + " needs a value");
        return args[i];
    }

    private static void usage(String name, String problem) {
        System.err.println("bench " + name + ": " + problem);
        System.err.println("usage: ./proxima bench " + name + " [--scalar] [--device SPEC] [--repeat N] [--dtype bf16]");
        System.exit(2);
    }
}
