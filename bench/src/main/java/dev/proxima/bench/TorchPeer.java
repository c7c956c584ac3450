package dev.proxima.bench;

import dev.proxima.tensor.Device;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The PyTorch peer of {@code bench autograd} and {@code bench train}: runs the bench's script
 * (a resource of this package, copied with {@link #TIMING} into a temporary folder, since
 * the scripts import it) with {@link SideBySide#peerPython}, on CUDA when Proxima runs on a
 * GPU, and reads its {@code CASE median_ms} lines.
 */
final class TorchPeer {
    /** The timing helper the peer scripts share, imported from beside them. */
    static final String TIMING = "peer_timing.py";

    private TorchPeer() {}

    /**
     * The peer's median milliseconds per case, from {@code script} run with the same thread
     * count, repeats, warm-up runs and cases. On any failure says why on stderr (as
     * {@code bench NAME: ...}) and returns the times it has, possibly none.
     */
    static Map<String, Double> times(String bench, String script, Device device, int threads, int repeat, int warmup, List<String> cases) {
        boolean gpu = !device.kind().equals("cpu");
        String python = SideBySide.peerPython(device);
        Map<String, Double> r = new HashMap<>();
        try {
            if (gpu && !SideBySide.pythonRuns(python, SideBySide.CUDA_PROBE)) {
                System.err.println("bench " + bench + ": no peer (" + python + " has no PyTorch with CUDA; set PROXIMA_PEER_PYTHON)");
                return r;
            }
        } catch (Exception e) {
            System.err.println("bench " + bench + ": no peer (" + e.getMessage() + ")");
            return r;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("proxima-" + bench + "-torch");
            for (String resource : List.of(script, TIMING)) copy(resource, dir.resolve(resource));
            List<String> cmd = List.of(python, dir.resolve(script).toString(), "--device", gpu ? "cuda" : "cpu", "--threads", String.valueOf(threads),
                    "--repeat", String.valueOf(repeat), "--warmup", String.valueOf(warmup), "--cases", String.join(",", cases));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            // Leave the thread count to set_num_threads, not to an inherited OMP/MKL setting.
            pb.environment().remove("OMP_NUM_THREADS");
            pb.environment().remove("MKL_NUM_THREADS");
            Process p = pb.start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length == 2) r.put(f[0], Double.parseDouble(f[1]));
                }
            }
            int rc = p.waitFor();
            if (rc != 0) System.err.println("bench " + bench + ": the PyTorch peer exited with status " + rc + "; peer times missing");
        } catch (IOException | InterruptedException | NumberFormatException e) {
            System.err.println("bench " + bench + ": could not run the PyTorch peer with " + python + " (" + e.getMessage() + ")");
        } finally {
            if (dir != null) delete(dir);
        }
        return r;
    }

    /** Records the case's speedup in {@code explain} and prints its RESULT line. */
    static void result(Explain explain, String bench, String name, double proximaMs, Double peerMs) {
        explain.add(peerMs == null ? Double.NaN : peerMs / proximaMs);
        String peer = peerMs == null ? "nan" : String.format(Locale.ROOT, "%.3f", peerMs);
        String speedup = peerMs == null ? "nan" : String.format(Locale.ROOT, "%.3f", peerMs / proximaMs);
        System.out.printf(Locale.ROOT, "RESULT bench=%s case=%s proxima_ms=%.3f peer=torch peer_ms=%s speedup=%s%n",
                bench, name, proximaMs, peer, speedup);
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = TorchPeer.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("resource " + resource + " is missing from the bench jar");
            Files.copy(in, to);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        } catch (IOException ignored) { // a temporary folder left behind is harmless
        }
    }
}
