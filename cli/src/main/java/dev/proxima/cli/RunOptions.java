package dev.proxima.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options {@code demo} and {@code train} share, defined once and mixed into both
 * ({@code @Mixin}): the same names, defaults, help and checks, so the two commands cannot
 * drift apart. Each command keeps what is its own ({@code --out}, whose default differs, and
 * the rest).
 */
final class RunOptions {
    @Option(names = "--batch", paramLabel = "N", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds initialization, shuffling and synthetic data (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--device", paramLabel = "SPEC", converter = DeviceSpec.class, description = "cpu (default), opencl or opencl:N.")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads for the kernels (default: all processors, or PROXIMA_THREADS).")
    Integer threads;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the Fashion-MNIST IDX files are (default: /usr/share/datasets/fashion-mnist).")
    Path dataDir = TrainCommand.FASHION_MNIST;

    /** --batch and --threads are positive: a one-line usage error otherwise. */
    void check() {
        positive("--batch", batch);
        if (threads != null) positive("--threads", threads);
    }

    /** The thread count a {@link TrainConfig} holds: 0 for the default. */
    int threadsOrDefault() {
        return threads == null ? 0 : threads;
    }

    static void positive(String option, int v) {
        if (v < 1) throw new Main.UserError(option + " " + v + ": expected a positive integer");
    }
}
