package dev.proxima.tensor.cpu;

import java.util.logging.Logger;

/**
 * Chooses the CPU kernel path once, at first use. The Vector API path runs when the
 * {@code jdk.incubator.vector} module is in the boot layer (started with
 * {@code --add-modules jdk.incubator.vector}); otherwise the scalar path runs and one log line
 * says so. The system property {@code proxima.simd=vector|scalar} forces a path ({@code vector}
 * fails loudly when the module is absent).
 *
 * <p>No {@code jdk.incubator.vector} type appears outside the classes loaded reflectively
 * here, so the scalar path never links against the module.
 */
public final class Simd {
    private static final Logger LOG = Logger.getLogger("dev.proxima");
    private static final String VECTOR_ROWS = "dev.proxima.tensor.cpu.VectorRowKernels";
    private static final String VECTOR_GEMM = "dev.proxima.tensor.cpu.VectorGemm";
    private static final String VECTOR_CONV = "dev.proxima.tensor.cpu.VectorConvTiles";

    /** The chosen kernels; null until first use. */
    private record Choice(RowKernels rows, Gemm.Kernel gemm, ConvTiles conv, String path, int floatLanes) {}

    private static volatile Choice choice;

    private Simd() {}

    /** The row kernels of the chosen path. */
    static RowKernels rows() {
        return choose().rows;
    }

    /** The gemm micro-kernel of the chosen path. */
    static Gemm.Kernel gemm() {
        return choose().gemm;
    }

    /** The direct convolution's register tiles, or null on the scalar path (convolutions then take im2col). */
    static ConvTiles convTiles() {
        return choose().conv;
    }

    /**
     * Validates {@code proxima.simd} and loads the kernels, once, at first use. A bad setting
     * throws here, naming the setting and its allowed values, at every use (rather than a
     * static initializer's ExceptionInInitializerError once and NoClassDefFoundError after).
     */
    private static Choice choose() {
        Choice c = choice;
        if (c != null) return c;
        synchronized (Simd.class) {
            if (choice == null) choice = load(parseSetting(System.getProperty("proxima.simd")));
            return choice;
        }
    }

    /** The value of {@code proxima.simd}: auto (also when unset), vector or scalar. */
    static String parseSetting(String value) {
        String v = value == null ? "auto" : value.trim().toLowerCase();
        if (!v.equals("scalar") && !v.equals("auto") && !v.equals("vector"))
            throw new IllegalArgumentException("-Dproxima.simd=" + value + ": expected auto, vector or scalar");
        return v;
    }

    private static Choice load(String forced) {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (forced.equals("vector") && !present)
            throw new IllegalStateException("-Dproxima.simd=vector but the jdk.incubator.vector module is absent: run java with --add-modules jdk.incubator.vector");
        String why = null;
        if (present && !forced.equals("scalar")) {
            try {
                RowKernels rows = (RowKernels) Class.forName(VECTOR_ROWS).getDeclaredConstructor().newInstance();
                int lanes = (int) Class.forName(VECTOR_ROWS).getDeclaredMethod("floatLanes").invoke(null);
                Gemm.Kernel gemm = (Gemm.Kernel) Class.forName(VECTOR_GEMM).getDeclaredConstructor().newInstance();
                ConvTiles conv = (ConvTiles) Class.forName(VECTOR_CONV).getDeclaredConstructor().newInstance();
                return new Choice(rows, gemm, conv, "vector", lanes);
            } catch (ReflectiveOperationException | LinkageError e) {
                if (forced.equals("vector")) throw new IllegalStateException("-Dproxima.simd=vector: cannot load the Vector API kernels", e);
                why = "Vector API kernels unavailable (" + e + ")";
            }
        } else if (!present) {
            why = "jdk.incubator.vector is not in the boot layer (add --add-modules jdk.incubator.vector for SIMD)";
        }
        if (why != null) note("Proxima CPU kernels: scalar path; " + why);
        return new Choice(new ScalarRowKernels(), new Gemm.Scalar(), null, "scalar", 1);
    }

    /**
     * Logs {@code message} at INFO as one line. The JDK's default log format spreads a record
     * over two lines (a date and the logger's class and method, then the message); where the
     * application has configured no logging (no logging properties named), the line is
     * written to standard error in that format's second line's shape instead. A level set on
     * the "dev.proxima" logger (or the root) still silences it.
     */
    static void note(String message) {
        if (!LOG.isLoggable(java.util.logging.Level.INFO)) return;
        boolean configured = System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null
                || System.getProperty("java.util.logging.SimpleFormatter.format") != null;
        if (configured) LOG.info(message);
        else System.err.println("INFO: " + message);
    }

    /** True when the Vector API kernels are in use. */
    public static boolean vectorized() {
        return path().equals("vector");
    }

    /** {@code vector} or {@code scalar}. */
    public static String path() {
        return choose().path;
    }

    /** float32 lanes per SIMD register on the vector path (1 on the scalar path). */
    public static int floatLanes() {
        return choose().floatLanes;
    }
}
