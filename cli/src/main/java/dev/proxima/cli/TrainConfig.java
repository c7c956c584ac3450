package dev.proxima.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The settings of one training run, checked, and written to the run directory (and into the
 * checkpoint's metadata) so that a resumed run continues with exactly the same ones.
 * {@code steps} and {@code limit} are 0 when not set; {@code threads} 0 means the default.
 * {@code workers} (data-parallel worker threads) and {@code transport} ("thread" or "ring")
 * are 0 and null only for a resumed run that did not give them: it keeps the checkpoint's.
 */
record TrainConfig(String model, String data, Optimizer optimizer, String base, double lr, int epochs, int batch,
                   long seed, int steps, int limit, String device, int threads, int workers, String transport,
                   Path out, Path resume, Path dataDir) {

    /** The defaults of --workers and --transport. */
    static final int ONE_WORKER = 1;
    static final String THREAD = "thread", RING = "ring";

    /** One worker, the in-JVM transport: the settings of a run that does not train data-parallel. */
    TrainConfig(String model, String data, Optimizer optimizer, String base, double lr, int epochs, int batch,
                long seed, int steps, int limit, String device, int threads, Path out, Path resume, Path dataDir) {
        this(model, data, optimizer, base, lr, epochs, batch, seed, steps, limit, device, threads, ONE_WORKER, THREAD, out, resume, dataDir);
    }

    enum Optimizer {
        SGD("sgd"), ADAM("adam"), RMSPROP("rmsprop"), KFAC("kfac"), APO_LR("apo-lr"), APO_PRECOND("apo-precond");

        final String cliName;

        Optimizer(String cliName) {
            this.cliName = cliName;
        }

        boolean apo() {
            return this == APO_LR || this == APO_PRECOND;
        }

        /** A learning rate that trains the bundled models; APO starts from it and learns its own. */
        double defaultLr(String base) {
            String rule = apo() ? base : cliName;
            return rule.equals("adam") || rule.equals("rmsprop") ? 1e-3 : 0.05;
        }

        static Optimizer parse(String s) {
            for (Optimizer o : values()) if (o.cliName.equals(s.trim().toLowerCase(Locale.ROOT))) return o;
            throw new IllegalArgumentException("'" + s + "' is not an optimizer: expected one of "
                    + Arrays.stream(values()).map(o -> o.cliName).collect(Collectors.joining(", ")));
        }

        @Override
        public String toString() {
            return cliName;
        }
    }

    static final class OptimizerConverter implements ITypeConverter<Optimizer> {
        @Override
        public Optimizer convert(String value) {
            try {
                return Optimizer.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** fashion-mnist, copy, or text:FILE (the file must exist). */
    static final class DataConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.trim();
            if (v.equals("fashion-mnist") || v.equals("copy")) return v;
            if (v.startsWith("text:")) {
                if (v.length() == 5) throw new TypeConversionException("'text:' needs a file: text:FILE");
                Path f = Path.of(v.substring(5));
                if (!Files.isRegularFile(f)) throw new TypeConversionException("text:" + f + ": no such file");
                return v;
            }
            throw new TypeConversionException("'" + value + "' is not a data set: expected fashion-mnist, copy or text:FILE");
        }
    }

    boolean images() {
        return data.equals("fashion-mnist");
    }

    /** What does not fit together, or a data set that is not there: one line each. */
    void check() {
        boolean sequenceModel = model.equals("transformer");
        if (sequenceModel && images())
            throw new Main.UserError("--model transformer trains on sequences: use --data copy or --data text:FILE");
        if (!sequenceModel && !images())
            throw new Main.UserError("--model " + model + " trains on images: use --data fashion-mnist (or --model transformer for " + data + ")");
        if (optimizer == Optimizer.KFAC && sequenceModel)
            throw new Main.UserError("--optimizer kfac needs Linear/Conv2d taps on every weight; use it with mlp, cnn or autoencoder");
        checkWorkers();
        if (images()) checkFashionMnist(dataDir);
    }

    /**
     * Data-parallel training applies one of optim's pure rules, or APO, to the averaged
     * gradient, on the CPU. KFAC's curvature would need its own all-reduce, so it runs on one
     * worker. APO's meta-objective adds a mean over B to one over B', which needs equal shards
     * of both: its --batch must divide by --workers. Called again on a resumed run's settings.
     */
    void checkWorkers() {
        if (workers <= 1) return;
        String fromCheckpoint = resume != null ? " (the checkpoint's)" : "";
        if (optimizer == Optimizer.KFAC)
            throw new Main.UserError("--workers " + workers + ": data-parallel training supports --optimizer sgd, adam, rmsprop, apo-lr or "
                    + "apo-precond, not " + optimizer + (resume != null ? " (the checkpoint's optimizer)" : "") + "; leave out --workers to train " + optimizer + " on one worker");
        if (optimizer.apo() && batch % workers != 0)
            throw new Main.UserError("--workers " + workers + ": " + optimizer + " needs equal shards, but --batch " + batch + fromCheckpoint
                    + " does not divide by " + workers + "; use --batch " + Math.max(workers, batch / workers * workers));
        if (!device.equals("cpu"))
            throw new Main.UserError("--workers " + workers + ": data-parallel workers run on the CPU, not --device " + device);
        if (batch < workers)
            throw new Main.UserError("--workers " + workers + ": each worker needs examples; --batch " + batch + " is smaller than the number of workers");
    }

    /** The four IDX files, or an error that says what to install or which --data-dir to pass. */
    static void checkFashionMnist(Path dir) {
        String[] files = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        for (String f : files) {
            if (Files.isRegularFile(dir.resolve(f + ".gz")) || Files.isRegularFile(dir.resolve(f))) continue;
            throw new Main.UserError("Fashion-MNIST not found: " + dir.resolve(f + ".gz") + " is missing. Install it with "
                    + "'sudo apt-get install dataset-fashion-mnist' (Debian/Ubuntu), or pass --data-dir DIR where DIR holds "
                    + String.join(", ", Arrays.stream(files).map(s -> s + ".gz").toList()));
        }
    }

    /** The settings that define the computation (what a resumed run must keep). */
    Map<String, String> defining() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("data", data);
        m.put("optimizer", optimizer.cliName);
        m.put("base", base);
        m.put("lr", Double.toString(lr));
        m.put("batch", Integer.toString(batch));
        m.put("seed", Long.toString(seed));
        m.put("steps", Integer.toString(steps));
        m.put("limit", Integer.toString(limit));
        return m;
    }

    /** Everything, for config.properties. */
    Map<String, String> all() {
        Map<String, String> m = defining();
        m.put("epochs", Integer.toString(epochs));
        m.put("device", device);
        // The thread count the kernels use (--threads, else PROXIMA_THREADS or the processors), not 0.
        m.put("threads", Integer.toString(threads > 0 ? threads : dev.proxima.tensor.cpu.Parallel.threads()));
        m.put("workers", Integer.toString(workers));
        m.put("transport", transport);
        m.put("data_dir", dataDir.toString());
        if (resume != null) m.put("resumed_from", resume.toString());
        return m;
    }

    /**
     * This config with the defining settings of a checkpoint's, and its workers and transport
     * unless this one names them (a checkpoint from before --workers: one worker).
     */
    TrainConfig withDefining(Map<String, String> m) {
        int w = workers > 0 ? workers : Integer.parseInt(m.getOrDefault("workers", Integer.toString(ONE_WORKER)));
        String t = transport != null ? transport : m.getOrDefault("transport", THREAD);
        return new TrainConfig(m.get("model"), m.get("data"), Optimizer.parse(m.get("optimizer")), m.get("base"),
                Double.parseDouble(m.get("lr")), epochs, Integer.parseInt(m.get("batch")), Long.parseLong(m.get("seed")),
                Integer.parseInt(m.get("steps")), Integer.parseInt(m.get("limit")), device, threads, w, t, out, resume, dataDir);
    }
}
