package dev.proxima.tensor.cpu;

import java.util.logging.Logger;

/**
 * Chooses the CPU kernel path once, at class load. The Vector API path runs when the
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

    static final RowKernels ROWS;
    static final Gemm.Kernel GEMM;
    private static final String PATH;
    private static final int FLOAT_LANES;

    static {
        String forced = System.getProperty("proxima.simd", "auto").trim().toLowerCase();
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        RowKernels rows = null;
        Gemm.Kernel gemm = null;
        int lanes = 1;
        String why = null;
        if (forced.equals("vector") && !present)
            throw new IllegalStateException("proxima.simd=vector but the jdk.incubator.vector module is absent: run java with --add-modules jdk.incubator.vector");
        if (!forced.equals("scalar") && !forced.equals("auto") && !forced.equals("vector"))
            throw new IllegalStateException("proxima.simd=" + forced + ": expected auto, vector or scalar");
        if (present && !forced.equals("scalar")) {
            try {
                rows = (RowKernels) Class.forName(VECTOR_ROWS).getDeclaredConstructor().newInstance();
                lanes = (int) Class.forName(VECTOR_ROWS).getDeclaredMethod("floatLanes").invoke(null);
                gemm = (Gemm.Kernel) Class.forName(VECTOR_GEMM).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                if (forced.equals("vector")) throw new IllegalStateException("proxima.simd=vector: cannot load the Vector API kernels", e);
                why = "Vector API kernels unavailable (" + e + ")";
                rows = null;
            }
        } else if (!present) {
            why = "jdk.incubator.vector is not in the boot layer (add --add-modules jdk.incubator.vector for SIMD)";
        }
        if (rows == null) {
            rows = new ScalarRowKernels();
            gemm = new Gemm.Scalar();
            lanes = 1;
            if (why != null) LOG.info("Proxima CPU kernels: scalar path; " + why);
        }
        ROWS = rows;
        GEMM = gemm;
        PATH = rows instanceof ScalarRowKernels ? "scalar" : "vector";
        FLOAT_LANES = lanes;
    }

    private Simd() {}

    /** True when the Vector API kernels are in use. */
    public static boolean vectorized() {
        return PATH.equals("vector");
    }

    /** {@code vector} or {@code scalar}. */
    public static String path() {
        return PATH;
    }

    /** float32 lanes per SIMD register on the vector path (1 on the scalar path). */
    public static int floatLanes() {
        return FLOAT_LANES;
    }
}
