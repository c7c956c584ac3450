package dev.proxima.bench;

import dev.proxima.tensor.Device;

/**
 * The options every side-by-side benchmark takes. {@code --scalar} is acted on by the
 * launcher (it sets {@code -Dproxima.simd=scalar} and leaves the Vector API module out);
 * here it is only accepted, and the SIMD path that actually ran is printed.
 */
record BenchOptions(String name, Device device, int repeat) {
    static BenchOptions parse(String name, String[] args, int defaultRepeat) {
        Device device = Device.cpu();
        int repeat = defaultRepeat;
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
                default -> usage(name, "unknown option '" + args[i] + "'");
            }
        }
        return new BenchOptions(name, device, repeat);
    }

    private static String value(String name, String[] args, int i, String option) {
        if (i >= args.length) usage(name, option + " needs a value");
        return args[i];
    }

    private static void usage(String name, String problem) {
        System.err.println("bench " + name + ": " + problem);
        System.err.println("usage: ./proxima bench " + name + " [--scalar] [--device SPEC] [--repeat N]");
        System.exit(2);
    }
}
