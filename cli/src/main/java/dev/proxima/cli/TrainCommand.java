package dev.proxima.cli;

import static dev.proxima.cli.RunOptions.positive;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code proxima train}: one model, one data set, one optimizer; live progress, test metrics
 * at the end, and a run directory (metrics.csv, PNG plots, config, a checkpoint per epoch)
 * that {@code --resume} continues from.
 */
@Command(name = "train", sortOptions = false, description = "Train a model; the run directory gets metrics.csv, PNG plots, "
        + "config.properties and checkpoint.safetensors (every epoch, kept on Ctrl-C); --workers N trains data-parallel on N threads.")
final class TrainCommand implements Callable<Integer>, Main.Checked {
    /** Where Debian's dataset-fashion-mnist package puts the IDX files. */
    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    enum Model { mlp, cnn, transformer, autoencoder }

    enum Base { sgd, adam, rmsprop }

    enum Transport { thread, ring }

    @Option(names = "--model", paramLabel = "NAME", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Model model = Model.mlp;

    @Option(names = "--data", paramLabel = "SET", converter = TrainConfig.DataConverter.class,
            description = "fashion-mnist, copy (a synthetic sequence-copy task) or text:FILE (characters of a text file); default: fashion-mnist, copy for the transformer.")
    String data;

    @Option(names = "--optimizer", paramLabel = "NAME", converter = TrainConfig.OptimizerConverter.class,
            description = "sgd (momentum 0.9), adam, rmsprop, kfac, apo-lr, apo-precond (default: sgd).")
    TrainConfig.Optimizer optimizer = TrainConfig.Optimizer.SGD;

    @Option(names = "--base", paramLabel = "RULE", description = "The rule whose learning rate apo-lr learns: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Base base = Base.sgd;

    @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (APO: the initial one). Default: sgd and kfac 0.05, adam and rmsprop 0.001.")
    Double lr;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training data (default: ${DEFAULT-VALUE}; with --resume, the checkpoint's).")
    int epochs = 1;

    /** --batch, --seed, --device, --threads, --data-dir: defined once, with demo. */
    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--steps", paramLabel = "N", description = "At most N steps per epoch (a quick run); default: the whole epoch.")
    Integer steps;

    @Option(names = "--limit", paramLabel = "N", description = "Use only the first N training and N test examples.")
    Integer limit;

    @Option(names = "--workers", paramLabel = "N", description = "Data-parallel training on N worker threads: each batch is split "
            + "between them and their gradients averaged (sgd, adam, rmsprop, apo-lr, apo-precond; APO needs a --batch divisible "
            + "by N; default: 1, or the checkpoint's with --resume).")
    Integer workers;

    @Option(names = "--transport", paramLabel = "KIND", description = "How the workers average gradients: thread (shared memory) or ring "
            + "(a TCP ring over 127.0.0.1, the multi-machine code path); default: thread, or the checkpoint's.")
    Transport transport;

    @Option(names = "--spark", paramLabel = "MASTER", description = "Train on Apache Spark (local[*] or a master URL): not in this command; "
            + "see the SparkTrainer API of the spark module (mvn -Pspark).")
    String spark;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/MODEL-OPTIMIZER-TIME; with --resume, the checkpoint's directory).")
    Path out;

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue from a checkpoint.safetensors; the run keeps its settings (--epochs may grow).")
    Path resume;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The files that make a directory a run directory. */
    static final java.util.List<String> RUN_FILES = java.util.List.of(Trainer.METRICS, Trainer.CONFIG, Trainer.CHECKPOINT);

    @Override
    public Integer call() throws Exception {
        TrainConfig config = checked();
        try {
            dev.proxima.tensor.Device.parse(config.device()).backend();
        } catch (RuntimeException e) { // the device asked for is not there: a usage error, with what was found
            throw new Main.UserError(e.getMessage());
        }
        return Trainer.run(config, System.out) ? 0 : 1;
    }

    @Override
    public void check() {
        checked();
    }

    /** {@link #config()}, then what needs the file system: the run directory and the checkpoint. */
    private TrainConfig checked() {
        java.util.Map<String, String> saved = null;
        if (resume != null && Files.isRegularFile(resume)) {
            try {
                saved = dev.proxima.nn.io.Checkpoint.load(resume).metadata();
            } catch (java.io.IOException e) { // a truncated or foreign file: a failure while running (status 1)
                throw new java.io.UncheckedIOException("--resume " + resume + ": " + e.getMessage(), e);
            }
            // A resumed run keeps its number of epochs unless --epochs is given again.
            String savedEpochs = saved.get("config.epochs");
            if (savedEpochs != null && !spec.commandLine().getParseResult().hasMatchedOption("--epochs"))
                epochs = Integer.parseInt(savedEpochs);
        }
        TrainConfig config = config();
        checkOut();
        if (saved != null) checkResumable(config, saved);
        return config;
    }

    /** --out never overwrites another run: it names a new directory, or the resumed run's own. */
    private void checkOut() {
        if (out == null || !Files.isDirectory(out)) return;
        if (resume != null && sameFile(out, resume.toAbsolutePath().getParent())) return;
        java.util.List<String> found = RUN_FILES.stream().filter(f -> Files.exists(out.resolve(f))).toList();
        if (found.isEmpty()) return;
        throw new Main.UserError("--out " + out + " already holds a run (" + String.join(", ", found) + "); nothing was changed. "
                + "Give a new directory, or continue that run with --resume " + out.resolve(Trainer.CHECKPOINT));
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return b != null && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** A resumed run keeps its settings: an option given again must say the same. */
    private void checkResumable(TrainConfig config, java.util.Map<String, String> saved) {
        var given = config.defining();
        var parsed = spec.commandLine().getParseResult();
        // A run that finished its epochs has nothing left to do unless --epochs asks for more.
        String epoch = saved.get("epoch");
        if (epoch != null && Boolean.parseBoolean(saved.get("evaluated"))) {
            int total = epochs, done = Integer.parseInt(epoch) + 1;
            if (done >= total)
                throw new Main.UserError("--resume " + resume + ": the run has finished " + done + " of " + total
                        + " epochs; pass --epochs " + (done + 1) + " (or more) to train it further");
        }
        for (String key : given.keySet()) {
            if (!parsed.hasMatchedOption("--" + key)) continue;
            String was = saved.get("config." + key);
            if (was != null && !was.equals(given.get(key)))
                throw new Main.UserError("--" + key + " " + given.get(key) + " differs from the checkpoint's " + was
                        + "; a resumed run keeps its settings (only --epochs, --out, --device, --threads, --workers, --transport may change)");
        }
    }

    /** The checked settings; a UserError (one line) for what does not fit together. */
    TrainConfig config() {
        positive("--epochs", epochs);
        run.check();
        if (steps != null) positive("--steps", steps);
        if (limit != null) positive("--limit", limit);
        if (workers != null) positive("--workers", workers);
        if (spark != null)
            throw new Main.UserError("--spark " + spark + ": the command line does not train on Spark; the spark module's SparkTrainer does "
                    + "(build it with mvn -Pspark, see docs/PARALLEL.md), or use --workers N for threads of this JVM");
        if (transport != null && (workers != null ? workers == 1 : resume == null))
            throw new Main.UserError("--transport " + transport + " needs --workers 2 or more");
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) throw new Main.UserError("--lr " + lr + ": expected a positive number");
        boolean baseGiven = spec != null && spec.commandLine().getParseResult().hasMatchedOption("--base");
        if (baseGiven && optimizer != TrainConfig.Optimizer.APO_LR)
            throw new Main.UserError("--base applies to apo-lr only (the optimizer is " + optimizer
                    + (optimizer == TrainConfig.Optimizer.APO_PRECOND ? ", which preconditions a momentum step of its own)" : ")"));
        if (resume != null && !Files.isRegularFile(resume)) throw new Main.UserError("--resume " + resume + ": no such file");
        String d = data != null ? data : model == Model.transformer ? "copy" : "fashion-mnist";
        TrainConfig c = new TrainConfig(model.name(), d, optimizer, base.name(), lr != null ? lr : optimizer.defaultLr(base.name()),
                epochs, run.batch, run.seed, steps == null ? 0 : steps, limit == null ? 0 : limit, run.device, run.threadsOrDefault(),
                workers != null ? workers : resume != null ? 0 : TrainConfig.ONE_WORKER, // 0, null: the checkpoint's
                transport != null ? transport.name() : resume != null ? null : TrainConfig.THREAD, out, resume, run.dataDir);
        c.check();
        return c;
    }
}
