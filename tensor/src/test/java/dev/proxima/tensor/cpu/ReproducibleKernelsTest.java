package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.tensor.ReduceOp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector reductions, softmax, log-softmax, GEMM and the convolution's weight-gradient tile compute the same bits whether the
 * interpreter, C1 or C2 runs them: before and after warm-up in one JVM, and in an
 * {@code -Xint} JVM against a warmed-up one. A lane reduction by {@code reduceLanes(ADD)} did
 * not (its order is unspecified, and the fallback and C2's intrinsic differ), so a training
 * run resumed in a fresh JVM ended a few ulp away from the uninterrupted one.
 *
 * <p>Inputs are random rows of random length, most of them not a multiple of the lane count
 * (whole vectors plus a scalar tail), float32 and float64, from fixed seeds so that the fresh
 * JVM computes on the same inputs.
 */
class ReproducibleKernelsTest {
    private static final RowKernels VEC = new VectorRowKernels();
    private static final Gemm.Kernel GEMM = new VectorGemm();
    private static final ConvTiles CONV = new VectorConvTiles();
    private static final long[] SEEDS = {1, 2, 3, 0x5eed};

    private static String hex(double v) {
        return Long.toHexString(Double.doubleToRawLongBits(v));
    }

    private static String hex(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (float x : v) sb.append(Integer.toHexString(Float.floatToRawIntBits(x))).append(',');
        return sb.toString();
    }

    private static String hex(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) sb.append(hex(x)).append(',');
        return sb.toString();
    }

    /** Every kernel's bits on the inputs the seed draws, one line per result. */
    static List<String> bits(long seed) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int row = 0; row < 12; row++) {
            int n = 1 + r.nextInt(row < 6 ? 80 : 700); // short rows (scalar path, one fold) and long ones
            float[] xf = new float[n + 3];
            double[] xd = new double[n + 3];
            for (int i = 0; i < xf.length; i++) {
                xf[i] = (float) (r.nextGaussian() * 4);
                xd[i] = r.nextGaussian() * 4;
            }
            int off = r.nextInt(3); // rows that start off a vector boundary
            for (ReduceOp op : ReduceOp.values()) {
                // PROD over hundreds of Gaussians overflows or vanishes: take factors near 1.
                float[] f = xf;
                double[] d = xd;
                if (op == ReduceOp.PROD) {
                    f = xf.clone();
                    d = xd.clone();
                    for (int i = 0; i < f.length; i++) {
                        f[i] = 1 + f[i] / 64;
                        d[i] = 1 + d[i] / 64;
                    }
                }
                lines.add(op + " f32 n=" + n + " " + hex(VEC.reduce(op, f, off, 1, n)));
                lines.add(op + " f64 n=" + n + " " + hex(VEC.reduce(op, d, off, 1, n)));
            }
            // Column sums of a (rows x n/rows) matrix (the axis-0 reduction).
            int rows = 1 + r.nextInt(7), cols = n / rows;
            double[] acc = new double[cols];
            VEC.accumulate(ReduceOp.SUM, acc, 0, xf, off, 1, cols, rows, cols);
            lines.add("ACC f32 " + hex(acc));
            acc = new double[cols];
            VEC.accumulate(ReduceOp.SUM, acc, 0, xd, off, 1, cols, rows, cols);
            lines.add("ACC f64 " + hex(acc));
            for (boolean log : new boolean[] {false, true}) {
                float[] of = new float[n];
                VEC.softmax(xf, off, 1, of, 0, 1, n, log);
                lines.add((log ? "LOGSOFTMAX" : "SOFTMAX") + " f32 " + hex(of));
                double[] od = new double[n];
                VEC.softmax(xd, off, 1, od, 0, 1, n, log);
                lines.add((log ? "LOGSOFTMAX" : "SOFTMAX") + " f64 " + hex(od));
            }
        }
        // A small product, edge tiles included.
        int m = 1 + r.nextInt(20), n = 1 + r.nextInt(80), k = 1 + r.nextInt(300);
        float[] af = new float[m * k], bf = new float[k * n], cf = new float[m * n];
        double[] ad = new double[m * k], bd = new double[k * n], cd = new double[m * n];
        for (int i = 0; i < af.length; i++) ad[i] = af[i] = (float) r.nextGaussian();
        for (int i = 0; i < bf.length; i++) bd[i] = bf[i] = (float) r.nextGaussian();
        GEMM.block(m, n, k, af, 0, k, 1, bf, 0, n, 1, cf, 0, 0, m, 0, n);
        GEMM.block(m, n, k, ad, 0, k, 1, bd, 0, n, 1, cd, 0, 0, m, 0, n);
        lines.add("GEMM f32 " + m + "x" + k + "x" + n + " " + hex(cf));
        lines.add("GEMM f64 " + m + "x" + k + "x" + n + " " + hex(cd));
        // The convolution's weight-gradient tile, over a few vectors of depth, twice (from 0, then accumulating).
        int lanes = CONV.lanes(), depth = lanes * (1 + r.nextInt(6));
        float[] g = new float[4 * depth + 5], x = new float[depth + 40], c = new float[12 * lanes];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int x1 = 1 + r.nextInt(19), x2 = x1 + 1 + r.nextInt(19);
        CONV.dotTile(depth, g, 5, depth, x, 0, x1, x2, c, 0, false);
        CONV.dotTile(depth, g, 3, depth, x, 1, x2, x1, c, 0, true);
        lines.add("CONV dotTile f32 depth=" + depth + " " + hex(c));
        return lines;
    }

    static List<String> allBits() {
        List<String> lines = new ArrayList<>();
        for (long seed : SEEDS) lines.addAll(bits(seed));
        return lines;
    }

    /** Enough calls of every kernel for C2 to compile them (the default threshold is 10,000 invocations or loop trips). */
    private static void warmUp() {
        Random r = new Random(7);
        float[] xf = new float[1027], of = new float[1027];
        double[] xd = new double[1027], od = new double[1027], acc = new double[1027];
        for (int i = 0; i < xf.length; i++) xd[i] = xf[i] = (float) r.nextGaussian();
        float[] af = new float[12 * 64], bf = new float[64 * 40], cf = new float[12 * 40];
        double[] ad = new double[12 * 64], bd = new double[64 * 40], cd = new double[12 * 40];
        for (int rep = 0; rep < 3000; rep++) {
            int n = 200 + rep % 827;
            for (ReduceOp op : ReduceOp.values()) {
                VEC.reduce(op, xf, 0, 1, n);
                VEC.reduce(op, xd, 0, 1, n);
            }
            VEC.accumulate(ReduceOp.SUM, acc, 0, xf, 0, 1, n / 4, 4, n / 4);
            VEC.accumulate(ReduceOp.SUM, acc, 0, xd, 0, 1, n / 4, 4, n / 4);
            VEC.softmax(xf, 0, 1, of, 0, 1, n, rep % 2 == 0);
            VEC.softmax(xd, 0, 1, od, 0, 1, n, rep % 2 == 0);
            GEMM.block(12, 40, 64, af, 0, 64, 1, bf, 0, 40, 1, cf, 0, 0, 12, 0, 40);
            GEMM.block(12, 40, 64, ad, 0, 64, 1, bd, 0, 40, 1, cd, 0, 0, 12, 0, 40);
            CONV.dotTile(4 * CONV.lanes(), xf, 0, 100, xf, 500, 510, 520, of, 0, rep % 2 == 1);
        }
    }

    private static void assertSameLines(List<String> want, List<String> got, String what) {
        assertEquals(want.size(), got.size(), what + ": line count");
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), what + ", line " + i);
    }

    /*
     * Both sides run in fresh JVMs: in this one other test classes may have compiled the
     * kernels already, and C2 compiles in the background, so a warm-up here may end before
     * the compiled code is in use (3,000 calls were not enough on 2 busy cores). -Xbatch
     * makes the warm-up wait for each compilation.
     */

    private static final String WARM = "-- warm --";

    @Test
    void sameBitsBeforeAndAfterWarmUpAndInTheInterpreter() throws Exception {
        List<String> out = runFresh("-Xbatch", "warm");
        int sep = out.indexOf(WARM);
        List<String> cold = out.subList(0, sep), warm = out.subList(sep + 1, out.size());
        assertSameLines(cold, warm, "after warm-up (-Xbatch)");
        assertSameLines(warm, runFresh("-Xint", "cold"), "-Xint against a warmed-up C2");
    }

    /** Prints {@link #allBits()}; with "warm", warms up and prints them again after {@link #WARM}. */
    static final class Bits {
        public static void main(String[] args) {
            for (String line : allBits()) System.out.println(line);
            if (args[0].equals("warm")) {
                warmUp();
                System.out.println(WARM);
                for (String line : allBits()) System.out.println(line);
            }
        }
    }

    private static List<String> runFresh(String jvmFlag, String mode) throws IOException, InterruptedException {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), jvmFlag,
                "--add-modules", "jdk.incubator.vector", "-cp", FreshJvm.classPath(), Bits.class.getName(), mode);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "fresh JVM failed: " + cmd);
        return out.lines().toList();
    }
}
