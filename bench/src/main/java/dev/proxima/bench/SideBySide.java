package dev.proxima.bench;

import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Parallel;
import dev.proxima.tensor.cpu.Simd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Proxima against NumPy in one run: each case is timed here (warm-up, then the median of
 * {@code repeat} runs, since the machine is small and shared) and by {@code peer_numpy.py}
 * in a subprocess of the system Python, which times the same case the same way.
 */
final class SideBySide {
    /** Debian's python3, which has python3-numpy (OpenBLAS) and python3-torch; the pyenv python3 first on PATH has neither. */
    private static final String DEBIAN_PYTHON = "/usr/bin/python3";
    /** Exits with status 0 where PyTorch can use a CUDA device. */
    static final String CUDA_PROBE = "import torch; assert torch.cuda.is_available()";

    private final BenchOptions options;
    /** On the CPU the peer is NumPy; on a GPU device it is PyTorch on CUDA (TF32 off). */
    private final boolean gpu;
    private final String python;
    private final String peerName;
    private final Path peerScript;
    private final String peerMissing;
    private final Explain explain;

    SideBySide(BenchOptions options) throws Exception {
        this.options = options;
        Device d = options.device();
        gpu = !d.kind().equals("cpu");
        python = peerPython(d);
        peerName = gpu ? "torch-cuda" : "numpy";
        String resource = gpu ? "peer_torch_cuda.py" : "peer_numpy.py";
        Path script = Files.createTempFile("proxima-peer", ".py");
        script.toFile().deleteOnExit();
        try (InputStream in = SideBySide.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("bench: resource " + resource + " missing from the bench jar");
            Files.write(script, in.readAllBytes());
        }
        String probeCode = gpu ? CUDA_PROBE : "import numpy";
        String missing = !pythonRuns(python, probeCode)
                ? python + (gpu ? " has no PyTorch with CUDA (set PROXIMA_PEER_PYTHON)" : " has no numpy (install python3-numpy and libopenblas0-pthread)")
                : null;
        this.peerScript = missing == null ? script : null;
        this.peerMissing = missing;
        System.out.println("bench " + options.name() + ": device=" + d
                + (d.kind().equals("cpu") ? " simd=" + Simd.path() + (Simd.vectorized() ? " (" + Simd.floatLanes() + " float32 lanes)" : "") : "")
                + " threads=" + Parallel.threads() + " repeat=" + options.repeat()
                + " jdk=" + Runtime.version().feature());
        explain = new Explain(options.name());
        explain.header(peerName, python, peerMissing);
    }

    /** The closing verdict over the cases run. */
    void verdict() {
        explain.verdict();
    }

    // ---- cases -------------------------------------------------------------------------

    void sgemm() throws Exception {
        // A GPU needs larger products to fill it; 4096 is the size the GPU goal is stated at.
        for (int n : gpu ? new int[] {1024, 2048, 4096} : new int[] {256, 512, 1024, 2048}) {
            Rng rng = new Rng(n);
            NDArray a = onDevice(NDArray.rand(rng, DType.FLOAT32, n, n));
            NDArray b = onDevice(NDArray.rand(rng, DType.FLOAT32, n, n));
            double s = medianSeconds(() -> a.matmul(b));
            double gflops = 2.0 * n * n * n / s / 1e9;
            Map<String, String> peer = peer("sgemm", String.valueOf(n));
            result("sgemm", "n=" + n + float32Tag(), "gflops", gflops, peer == null ? Double.NaN : Double.parseDouble(peer.get("gflops")),
                    String.format("time_ms=%.3f", s * 1e3));
            if (options.dtype() != null) {
                NDArray ah = a.to(options.dtype()), bh = b.to(options.dtype());
                double[] t = interleavedSeconds(() -> a.matmul(b), () -> ah.matmul(bh));
                lowPrecision("sgemm", "n=" + n, "gflops", 2.0 * n * n * n / t[1] / 1e9, 2.0 * n * n * n / t[0] / 1e9,
                        String.format("time_ms=%.3f", t[1] * 1e3));
            }
        }
    }

    void elementwise() throws Exception {
        int n = 1 << 24;
        Rng rng = new Rng(24);
        NDArray a = onDevice(NDArray.rand(rng, DType.FLOAT32, n).add(0.5));
        NDArray b = onDevice(NDArray.rand(rng, DType.FLOAT32, n).add(0.5));
        NDArray ah = options.dtype() == null ? null : a.to(options.dtype()), bh = ah == null ? null : b.to(options.dtype());
        for (String op : new String[] {"add", "mul", "exp"}) {
            int bytesPerElem = op.equals("exp") ? 8 : 12;
            double s = medianSeconds(elementwiseOp(op, a, b));
            Map<String, String> peer = peer("elementwise", op, String.valueOf(n));
            double mine = n / s / 1e9;
            result("elementwise", "op=" + op + " n=" + n + float32Tag(), "gelems", mine,
                    peer == null ? Double.NaN : Double.parseDouble(peer.get("gelems")),
                    String.format("proxima_gbs=%.2f", mine * bytesPerElem));
            if (ah != null) {
                double[] t = interleavedSeconds(elementwiseOp(op, a, b), elementwiseOp(op, ah, bh));
                double low = n / t[1] / 1e9;
                lowPrecision("elementwise", "op=" + op + " n=" + n, "gelems", low, n / t[0] / 1e9,
                        String.format("proxima_gbs=%.2f", low * bytesPerElem * options.dtype().byteSize() / 4));
            }
        }
    }

    private static Supplier<NDArray> elementwiseOp(String op, NDArray a, NDArray b) {
        return switch (op) {
            case "add" -> () -> a.add(b);
            case "mul" -> () -> a.mul(b);
            default -> a::exp;
        };
    }

    void reduce() throws Exception {
        int n = 4096;
        NDArray a = onDevice(NDArray.rand(new Rng(4096), DType.FLOAT32, n, n));
        NDArray ah = options.dtype() == null ? null : a.to(options.dtype());
        for (int axis : new int[] {0, 1}) {
            double s = medianSeconds(() -> a.sum(axis));
            Map<String, String> peer = peer("reduce", String.valueOf(axis), String.valueOf(n));
            double mine = (double) n * n / s / 1e9;
            result("reduce", "op=sum axis=" + axis + " shape=" + n + "x" + n + float32Tag(), "gelems", mine,
                    peer == null ? Double.NaN : Double.parseDouble(peer.get("gelems")),
                    String.format("proxima_gbs=%.2f", mine * 4));
            if (ah != null) {
                double[] t = interleavedSeconds(() -> a.sum(axis), () -> ah.sum(axis));
                double low = (double) n * n / t[1] / 1e9;
                lowPrecision("reduce", "op=sum axis=" + axis + " shape=" + n + "x" + n, "gelems", low, (double) n * n / t[0] / 1e9,
                        String.format("proxima_gbs=%.2f", low * options.dtype().byteSize()));
            }
        }
    }

    /** " dtype=float32" on the float32 lines when a low-precision run sits beside them; else nothing, as before. */
    private String float32Tag() {
        return options.dtype() == null ? "" : " dtype=float32";
    }

    /**
     * The low-precision run of a case, beside its float32 line: its figure, the float32 one
     * timed in alternation with it ({@link #interleavedSeconds}) and their ratio. It has no
     * peer (NumPy has no bfloat16) and stays out of the verdict.
     */
    private void lowPrecision(String bench, String params, String unit, double mine, double float32, String extra) {
        System.out.printf("RESULT bench=%s %s dtype=%s proxima_%s=%.3f float32_%s=%.3f vs_float32=%.3f timing=interleaved %s%n",
                bench, params, options.dtype(), unit, mine, unit, float32, mine / float32, extra);
    }

    /**
     * The median seconds of {@code float32} and of {@code low}, timed in alternation (float32,
     * low, float32, low, ...) once both are warm: load from other processes then falls on both
     * alike, so their ratio holds on a busy machine where two separate medians would not.
     */
    private double[] interleavedSeconds(Supplier<NDArray> float32, Supplier<NDArray> low) {
        var backend = options.device().backend();
        Warmup.untilStable(String.valueOf(options.dtype()), 3, () -> {
            low.get();
            backend.finish();
        });
        double[][] t = new double[2][options.repeat()];
        for (int i = 0; i < options.repeat(); i++)
            for (int k = 0; k < 2; k++) {
                long t0 = System.nanoTime();
                (k == 0 ? float32 : low).get();
                backend.finish();
                t[k][i] = (System.nanoTime() - t0) / 1e9;
            }
        return new double[] {Warmup.median(t[0]), Warmup.median(t[1])};
    }

    // ---- timing ------------------------------------------------------------------------

    private NDArray onDevice(NDArray x) {
        return x.to(options.device());
    }

    /** Warm-up (JIT, caches, pool threads), then the median of the timed runs. */
    private double medianSeconds(Supplier<NDArray> f) {
        var backend = options.device().backend();
        Warmup.untilStable("", 3, () -> {
            f.get();
            backend.finish();
        });
        double[] t = new double[options.repeat()];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            f.get();
            backend.finish();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private void result(String bench, String params, String unit, double mine, double peer, String extra) {
        explain.add(mine / peer);
        String peerPart = Double.isNaN(peer)
                ? "peer=none peer_" + unit + "=nan speedup=nan"
                : String.format("peer=%s peer_%s=%.3f speedup=%.3f", peerName, unit, peer, mine / peer);
        System.out.printf("RESULT bench=%s %s proxima_%s=%.3f %s %s%n", bench, params, unit, mine, peerPart, extra);
    }

    // ---- the peer ----------------------------------------------------------------------

    private Map<String, String> peer(String... args) throws Exception {
        if (peerScript == null) return null;
        List<String> cmd = new ArrayList<>(List.of(peerScript.toString()));
        cmd.addAll(List.of(args));
        cmd.add(String.valueOf(options.repeat()));
        Map<String, String> r = runPeer(python, cmd, false);
        if (r == null) System.out.println("peer: " + peerName + " failed on " + String.join(" ", args) + "; reporting peer=none");
        return r;
    }

    /**
     * The Python that runs the peer: PROXIMA_PEER_PYTHON when set; else Debian's (with
     * python3-numpy and python3-torch) on the CPU, and python3 on a GPU device, which must
     * have CUDA PyTorch.
     */
    static String peerPython(Device device) {
        String set = System.getenv("PROXIMA_PEER_PYTHON");
        if (set != null && !set.isBlank()) return set;
        return device.kind().equals("cpu") ? DEBIAN_PYTHON : "python3";
    }

    /** The last line {@code python -c code arg} prints, or null when it fails. */
    static String pythonOutput(String python, String code, String arg) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(python, "-c", code, arg).redirectErrorStream(true).start();
        } catch (IOException e) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0 || out.isEmpty()) return null;
        String[] lines = out.split("\n");
        return lines[lines.length - 1].strip();
    }

    /** Whether {@code python -c code} exits with status 0 (say, an import the peer needs). */
    static boolean pythonRuns(String python, String code) throws Exception {
        return runPeer(python, List.of("-c", code), true) != null;
    }

    /** Runs {@code python ARGS}; the key=value pairs of its last output line, or null on failure. */
    private static Map<String, String> runPeer(String python, List<String> args, boolean quiet) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python));
        cmd.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) { // no such interpreter
            if (!quiet) System.out.println("peer: cannot start " + python + ": " + e.getMessage());
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            if (!quiet) System.out.print(out);
            return null;
        }
        Map<String, String> kv = new HashMap<>();
        String[] lines = out.strip().split("\n");
        for (String tok : lines[lines.length - 1].trim().split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) kv.put(tok.substring(0, eq), tok.substring(eq + 1));
        }
        return kv;
    }
}
