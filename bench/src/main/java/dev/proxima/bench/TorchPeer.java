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
 * The PyTorch peer of {@code bench autograd}, {@code bench train}, {@code bench conv} and the
 * APO study's CNN ({@link #runScript}): runs the bench's script
 * (a resource of this package, copied with {@link #SHARED} and {@link #MODELS} into a temporary
 * folder, since the scripts import them) with {@link SideBySide#peerPython}, on CUDA when Proxima runs on a
 * GPU, and reads its {@code CASE median_ms} lines.
 */
public final class TorchPeer {
    /** What the peer scripts share (options, torch settings, timing), imported from beside them. */
    static final String SHARED = "torch_peer.py";
    /** The models the peers train (bench train's, and the APO study's CNN), imported from beside them. */
    static final String MODELS = "train_torch.py";

    private TorchPeer() {}

    /** The options {@code bench autograd} and {@code bench train} take, with the peer they run. */
    record Options(String bench, Device device, int repeat, int warmup, List<String> cases, boolean peer) {

        /**
         * Reads {@code --device SPEC}, {@code --repeat N}, {@code --warmup N},
         * {@code --cases A,B} (each one of {@code known}; all of them by default) and
         * {@code --no-peer}; the bench's name and {@code --scalar}, which the launcher passes
         * through, are skipped.
         */
        static Options parse(String bench, String[] args, int repeat, int warmup, List<String> known) {
            Device device = Device.defaultDevice();
            boolean peer = true;
            List<String> cases = known;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--device" -> device = Device.parse(value(bench, args, ++i, "--device"));
                    case "--repeat" -> repeat = Integer.parseInt(value(bench, args, ++i, "--repeat"));
                    case "--warmup" -> warmup = Integer.parseInt(value(bench, args, ++i, "--warmup"));
                    case "--no-peer" -> peer = false;
                    case "--cases" -> cases = List.of(value(bench, args, ++i, "--cases").split(","));
                    case "--scalar" -> { }
                    default -> {
                        if (!args[i].equals(bench))
                            throw new IllegalArgumentException("bench " + bench + ": unknown option '" + args[i]
                                    + "'; use --device SPEC, --repeat N, --warmup N, --cases " + String.join(",", known) + ", --no-peer");
                    }
                }
            }
            for (String c : cases)
                if (!known.contains(c))
                    throw new IllegalArgumentException("bench " + bench + ": unknown case '" + c + "' (" + String.join(", ", known) + ")");
            if (repeat < 1) throw new IllegalArgumentException("bench " + bench + ": --repeat must be >= 1, got " + repeat);
            return new Options(bench, device, repeat, warmup, cases, peer);
        }

        private static String value(String bench, String[] args, int i, String option) {
            if (i >= args.length) throw new IllegalArgumentException("bench " + bench + ": " + option + " needs a value");
            return args[i];
        }
    }

    /**
     * Prints {@code explain}'s header naming the peer, then runs {@code script} with the same
     * thread count, repeats, warm-up runs and cases (unless {@code --no-peer}): the peer's
     * median milliseconds per case. On any failure says why on stderr and returns the times
     * it has, possibly none.
     */
    static Map<String, Double> times(Explain explain, String script, Options o, int threads) {
        explain.header(o.device().kind().equals("cpu") ? "torch (CPU)" : "torch (CUDA)", SideBySide.peerPython(o.device()), o.peer() ? null : "--no-peer");
        return o.peer() ? run(o.bench(), script, o.device(), threads, o.repeat(), o.warmup(), o.cases()) : Map.of();
    }

    private static Map<String, Double> run(String bench, String script, Device device, int threads, int repeat, int warmup, List<String> cases) {
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
            dir = scripts(bench, script);
            Process p = process(python, dir, script, List.of("--device", gpu ? "cuda" : "cpu", "--threads", String.valueOf(threads),
                    "--repeat", String.valueOf(repeat), "--warmup", String.valueOf(warmup), "--cases", String.join(",", cases)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
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

    /**
     * Runs the PyTorch script {@code script} (a resource path relative to this package, such as
     * {@code apo/cnn_torch.py}) on the CPU with {@code args}, as the benches run their peers, and
     * returns what it printed. An IOException names the command, its exit status and output.
     */
    public static String runScript(String script, List<String> args) throws IOException, InterruptedException {
        String python = SideBySide.peerPython(Device.cpu());
        Path dir = scripts("apo", script);
        try {
            Process p = process(python, dir, script, args).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            if (rc != 0)
                throw new IOException(python + " " + script + " " + String.join(" ", args) + " exited with status " + rc + ":\n" + out);
            return out;
        } finally {
            delete(dir);
        }
    }

    /**
     * A fresh temporary folder holding {@code script} and what the scripts import: {@link #SHARED}
     * and {@link #MODELS} (the models, defined once for every peer that trains them).
     */
    private static Path scripts(String bench, String script) throws IOException {
        Path dir = Files.createTempDirectory("proxima-" + bench + "-torch");
        for (String resource : new java.util.LinkedHashSet<>(List.of(script, SHARED, MODELS)))
            copy(resource, dir.resolve(Path.of(resource).getFileName()));
        return dir;
    }

    /** {@code python dir/script args}, the thread count left to the script's set_num_threads, not to an inherited OMP/MKL setting. */
    private static ProcessBuilder process(String python, Path dir, String script, List<String> args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(python, dir.resolve(Path.of(script).getFileName()).toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("OMP_NUM_THREADS");
        pb.environment().remove("MKL_NUM_THREADS");
        return pb;
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
