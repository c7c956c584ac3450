package dev.proxima.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a benchmark run means, said once per run: the header explains {@code speedup} and
 * names the peer (its version and the BLAS it loaded); the closing line is a verdict over the
 * cases that had a peer. The RESULT lines between stay machine-readable.
 */
final class Explain {
    /**
     * Printed by the peer's Python: the library versions, then the BLAS (or cuBLAS device)
     * it actually loaded, read from the process's own memory map after a matmul, since
     * NumPy and PyTorch report their build configuration in version-dependent ways.
     */
    static final String PEER_PROBE = String.join("\n",
            "import sys, platform",
            "mods = []",
            "if sys.argv[1] == 'numpy':",
            "    import numpy; mods.append('numpy ' + numpy.__version__); a = numpy.ones((64, 64), numpy.float32); a @ a",
            "else:",
            "    import torch; mods.append('torch ' + torch.__version__); t = torch.ones(64, 64); t @ t",
            "    if sys.argv[1] == 'cuda' and torch.cuda.is_available(): mods.append('CUDA ' + str(torch.version.cuda) + ' on ' + torch.cuda.get_device_name(0))",
            "blas = set()",
            "for line in open('/proc/self/maps'):",
            "    parts = line.strip().rsplit('/', 2)",
            "    low = parts[-1].lower()",
            "    if len(parts) == 3 and any(k in low for k in ('blas', 'mkl_rt', 'mkl_core', 'blis')) and 'lapack' not in low:",
            "        blas.add(parts[-2] + '/' + parts[-1])",
            "print('Python ' + platform.python_version() + ', ' + ', '.join(mods) + '; BLAS: ' + (', '.join(sorted(blas)) or 'none found'))");

    private final String bench;
    private final List<Double> speedups = new ArrayList<>();
    private int cases;

    Explain(String bench) {
        this.bench = bench;
    }

    /** The header: what speedup means and who the peer is. */
    void header(String peerName, String python, String peerMissing) {
        String kind = peerName.startsWith("numpy") ? "numpy" : peerName.contains("cuda") || peerName.contains("CUDA") ? "cuda" : "torch";
        System.out.println("speedup = Proxima's speed / the peer's on the same case (throughput ratio): above 1 means Proxima is faster.");
        if (peerMissing != null) {
            System.out.println("peer: none (" + peerMissing + "); speedups will read nan");
            return;
        }
        String facts;
        try {
            facts = SideBySide.pythonOutput(python, PEER_PROBE, kind);
        } catch (Exception e) {
            facts = null;
        }
        System.out.println("peer: " + peerName + " via " + python + (facts == null ? "" : " (" + facts + ")"));
    }

    /** Records one case's speedup (NaN when it had no peer). */
    void add(double speedup) {
        cases++;
        if (!Double.isNaN(speedup)) speedups.add(speedup);
    }

    /** The closing verdict over every case with a peer. */
    void verdict() {
        if (speedups.isEmpty()) {
            System.out.println("verdict: no peer ran, so there is nothing to compare (" + cases + " cases timed)");
            return;
        }
        double logSum = 0, min = Double.MAX_VALUE, max = 0;
        int faster = 0;
        for (double s : speedups) {
            logSum += Math.log(s);
            min = Math.min(min, s);
            max = Math.max(max, s);
            if (s > 1) faster++;
        }
        double geo = Math.exp(logSum / speedups.size());
        String overall = geo >= 1.1 ? "faster than" : geo > 0.9 ? "on par with" : "slower than";
        System.out.printf(Locale.ROOT, "verdict: bench %s: Proxima is %s the peer overall (geometric mean speedup %.2f, range %.2f-%.2f; faster on %d of %d cases)%n",
                bench, overall, geo, min, max, faster, speedups.size());
    }
}
