package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The command line in-process: every option parses, bad values are one clear line. */
class CliParseTest {
    @TempDir
    Path tmp;

    /** Runs the CLI, returns {exit status, stdout, stderr}. */
    private static Object[] run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        PrintStream sysOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        int rc;
        try {
            rc = cl.execute(args);
        } finally {
            System.setOut(sysOut);
        }
        return new Object[] {rc, out + captured.toString(), err.toString()};
    }

    private TrainCommand parseTrain(String... args) {
        CommandLine cl = Main.commandLine();
        CommandLine.ParseResult r = cl.parseArgs(args);
        return (TrainCommand) r.subcommand().commandSpec().userObject();
    }

    private Path fakeFashionMnist() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("fm"));
        for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
            Files.write(d.resolve(f + ".gz"), new byte[0]);
        return d;
    }

    @Test
    void everyTrainOptionParses() throws Exception {
        Path text = Files.writeString(tmp.resolve("t.txt"), "hello");
        Path ckpt = Files.write(tmp.resolve("c.safetensors"), new byte[8]);
        TrainCommand t = parseTrain("train", "--model", "transformer", "--data", "text:" + text, "--optimizer", "apo-lr",
                "--base", "adam", "--lr", "0.003", "--epochs", "3", "--batch", "32", "--seed", "7", "--steps", "5",
                "--limit", "100", "--device", "opencl:1", "--threads", "2", "--out", tmp.resolve("run").toString(),
                "--resume", ckpt.toString(), "--data-dir", tmp.toString());
        assertEquals(TrainCommand.Model.transformer, t.model);
        assertEquals("text:" + text, t.data);
        assertEquals(TrainConfig.Optimizer.APO_LR, t.optimizer);
        assertEquals(TrainCommand.Base.adam, t.base);
        assertEquals(0.003, t.lr);
        assertEquals(3, t.epochs);
        assertEquals(32, t.run.batch);
        assertEquals(7, t.run.seed);
        assertEquals(5, t.steps);
        assertEquals(100, t.limit);
        assertEquals("opencl:1", t.run.device);
        assertEquals(2, t.run.threads);
        assertEquals(tmp.resolve("run"), t.out);
        assertEquals(ckpt, t.resume);
        assertEquals(tmp, t.run.dataDir);
        TrainConfig c = t.config();
        assertEquals("transformer", c.model());
        assertEquals(0.003, c.lr());
    }

    /**
     * demo and train share --batch, --seed, --device, --threads and --data-dir through one
     * mixin: the same help and defaults in both, parsed alike, checked alike.
     */
    @Test
    void demoAndTrainShareTheirCommonOptions() throws Exception {
        CommandLine cl = Main.commandLine();
        var train = cl.getSubcommands().get("train").getCommandSpec();
        var demo = cl.getSubcommands().get("demo").getCommandSpec();
        List<String> shared = List.of("--batch", "--seed", "--device", "--threads", "--data-dir");
        for (String name : shared) {
            var t = train.findOption(name);
            var d = demo.findOption(name);
            assertNotNull(t, "train " + name);
            assertNotNull(d, "demo " + name);
            assertEquals(List.of(t.description()), List.of(d.description()), name);
            assertEquals(t.defaultValueString(), d.defaultValueString(), name);
        }
        assertEquals(shared, train.mixins().get("run").options().stream().map(o -> o.longestName()).toList());
        assertEquals(train.mixins().get("run").options().size(), demo.mixins().get("run").options().size());
        DemoCommand d = (DemoCommand) cl.parseArgs("demo", "--batch", "32", "--seed", "7", "--device", "opencl:1", "--threads", "2",
                "--data-dir", tmp.toString()).subcommand().commandSpec().userObject();
        assertEquals(32, d.run.batch);
        assertEquals(7, d.run.seed);
        assertEquals("opencl:1", d.run.device);
        assertEquals(2, d.run.threads);
        assertEquals(tmp, d.run.dataDir);
        for (String[] bad : new String[][] {{"--batch", "0"}, {"--threads", "-1"}}) {
            Object[] r = run("demo", bad[0], bad[1]);
            assertEquals(2, r[0], (String) r[2]);
            assertEquals(List.of(bad[0] + " " + bad[1] + ": expected a positive integer", "try './proxima help demo'"),
                    ((String) r[2]).lines().map(l -> l.replaceFirst("^proxima demo: ", "")).toList());
        }
    }

    @Test
    void defaultsMakeASensibleRun() throws Exception {
        TrainCommand t = parseTrain("train", "--data-dir", fakeFashionMnist().toString());
        TrainConfig c = t.config();
        assertEquals("mlp", c.model());
        assertEquals("fashion-mnist", c.data());
        assertEquals(TrainConfig.Optimizer.SGD, c.optimizer());
        assertTrue(c.lr() > 0);
        assertNull(c.resume());
        assertEquals("copy", parseTrain("train", "--model", "transformer").config().data());
    }

    @Test
    void workersAndTransportParse() throws Exception {
        String dataDir = fakeFashionMnist().toString();
        TrainConfig one = parseTrain("train", "--data-dir", dataDir).config();
        assertEquals(1, one.workers(), "one worker by default");
        assertEquals("thread", one.transport());
        for (String opt : List.of("sgd", "adam", "rmsprop", "apo-lr", "apo-precond")) {
            TrainCommand t = parseTrain("train", "--data-dir", dataDir, "--optimizer", opt, "--workers", "3", "--transport", "ring",
                    "--batch", "48");
            assertEquals(3, t.workers);
            assertEquals(TrainCommand.Transport.ring, t.transport);
            TrainConfig c = t.config();
            c.check();
            assertEquals(3, c.workers());
            assertEquals("ring", c.transport());
            assertEquals("3", c.all().get("workers"));
            assertEquals("ring", c.all().get("transport"));
            assertFalse(c.defining().containsKey("workers"), "a resumed run may change --workers");
        }
        assertEquals("thread", parseTrain("train", "--data-dir", dataDir, "--workers", "2").config().transport());
        assertEquals(TrainCommand.Transport.thread, parseTrain("train", "--transport", "THREAD").transport);
        assertEquals("local[*]", parseTrain("train", "--spark", "local[*]").spark);
    }

    @Test
    void aResumedRunKeepsTheCheckpointsWorkersUnlessGiven() {
        TrainConfig c = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, "sgd", 1e-3, 1, 16, 0, 0, 0, "cpu", 0,
                0, null, null, tmp.resolve("c.safetensors"), tmp);
        var saved = new java.util.LinkedHashMap<>(c.defining());
        assertEquals(1, c.withDefining(saved).workers(), "a checkpoint from before --workers ran on one worker");
        assertEquals("thread", c.withDefining(saved).transport());
        saved.put("workers", "4");
        saved.put("transport", "ring");
        assertEquals(4, c.withDefining(saved).workers());
        assertEquals("ring", c.withDefining(saved).transport());
        TrainConfig given = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, "sgd", 1e-3, 1, 16, 0, 0, 0, "cpu", 0,
                2, "thread", null, tmp.resolve("c.safetensors"), tmp);
        assertEquals(2, given.withDefining(saved).workers());
        assertEquals("thread", given.withDefining(saved).transport());
        saved.put("optimizer", "kfac");
        Main.UserError e = assertThrows(Main.UserError.class, () -> given.withDefining(saved).checkWorkers());
        assertTrue(e.getMessage().contains("not kfac (the checkpoint's optimizer)"), e.getMessage());
        saved.put("optimizer", "apo-lr");
        given.withDefining(saved).checkWorkers(); // 16 divides by 2
        TrainConfig three = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.ADAM, "sgd", 1e-3, 1, 16, 0, 0, 0, "cpu", 0,
                3, "thread", null, tmp.resolve("c.safetensors"), tmp);
        e = assertThrows(Main.UserError.class, () -> three.withDefining(saved).checkWorkers());
        assertTrue(e.getMessage().contains("--batch 16 (the checkpoint's) does not divide by 3"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "rmsprop", "kfac", "apo-lr", "apo-precond"})
    void everyOptimizerNameParses(String name) {
        assertEquals(name, parseTrain("train", "--optimizer", name).optimizer.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn", "transformer", "autoencoder"})
    void everyModelNameParses(String name) {
        assertEquals(name, parseTrain("train", "--model", name).model.name());
    }

    /** Each bad argument: exit status 2, one line naming the problem, one saying where help is, no stack trace. */
    @ParameterizedTest
    @ValueSource(strings = {
            "train --device cuda|'cuda' is not a device",
            "train --device opencl:x|'opencl:x' is not a device",
            "train --optimizer adamw|'adamw' is not an optimizer",
            "train --model resnet|--model",
            "train --data mnist|'mnist' is not a data set",
            "train --data text:/no/such/file|no such file",
            "train --lr fast|--lr",
            "train --epochs many|--epochs",
            "train --workers two|--workers",
            "train --workers 1.5|--workers",
            "train --transport tcp|--transport",
            "train --bogus|Unknown option: '--bogus'",
            "bench|Missing required parameter: 'NAME'",
            "bench gemm|Invalid value for positional parameter",
            "bench sgemm --device cuda|'cuda' is not a device",
            "demo --device tpu|'tpu' is not a device",
            "nonsense|unknown command 'nonsense'; the commands are demo, train, info, bench",
            "help nonsense|unknown command 'nonsense'",
            "train --modle mlp|Unknown options: '--modle'"})
    void badArgumentsAreOneLineAndWhereHelpIs(String caseSpec) {
        String[] parts = caseSpec.split("\\|");
        Object[] r = run(parts[0].split(" "));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        String first = err.lines().findFirst().orElse("");
        assertTrue(first.startsWith("proxima"), first);
        assertTrue(first.contains(parts[1]), first);
        String command = parts[0].split(" ")[0];
        boolean known = List.of("train", "bench", "demo").contains(command);
        assertEquals(List.of(first, "try './proxima help" + (known ? " " + command : "") + "'"), err.lines().toList());
        assertFalse(err.contains("\tat "), err);
        assertFalse(err.contains("Exception"), err);
    }

    /** Problems found after parsing: one line and where help is, status 2, nothing written. */
    @ParameterizedTest
    @ValueSource(strings = {
            "--epochs 0|--epochs 0: expected a positive integer",
            "--batch -1|--batch -1",
            "--lr 0|--lr 0.0: expected a positive number",
            "--base adam|--base applies to apo-lr only",
            "--optimizer apo-precond --base adam|momentum step of its own",
            "--model transformer --data fashion-mnist|use --data copy",
            "--model cnn --data copy|trains on images",
            "--resume /no/such.safetensors|no such file",
            "--workers 0|--workers 0: expected a positive integer",
            "--workers -2|--workers -2: expected a positive integer",
            "--workers 2 --optimizer kfac|supports --optimizer sgd, adam, rmsprop, apo-lr or apo-precond, not kfac",
            "--workers 3 --optimizer apo-lr|apo-lr needs equal shards, but --batch 64 does not divide by 3; use --batch 63",
            "--workers 5 --optimizer apo-precond --batch 12|--batch 12 does not divide by 5; use --batch 10",
            "--workers 8 --optimizer apo-lr --batch 4|--batch 4 does not divide by 8; use --batch 8",
            "--workers 2 --device opencl|run on the CPU, not --device opencl",
            "--workers 8 --batch 4|--batch 4 is smaller than the number of workers",
            "--transport ring|--transport ring needs --workers 2 or more",
            "--workers 1 --transport thread|needs --workers 2 or more",
            "--spark local[2]|mvn -Pspark"})
    void inconsistentSettingsAreOneLine(String caseSpec) throws Exception {
        String[] parts = caseSpec.split("\\|");
        Path out = tmp.resolve("never");
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data-dir", fakeFashionMnist().toString(), "--out", out.toString()));
        args.addAll(List.of(parts[0].split(" ")));
        Object[] r = run(args.toArray(String[]::new));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertEquals(2, err.lines().count(), err);
        assertTrue(err.lines().findFirst().orElse("").contains(parts[1]), err);
        assertEquals("try './proxima help train'", err.lines().toList().get(1));
        assertFalse(Files.exists(out), "a failed command wrote " + out);
    }

    /**
     * bench's option checks, made before anything runs: a bad --dtype, --dtype on a benchmark
     * without it or on a device without bfloat16, and bench apo's protocol options. Each is
     * one line, then where help is, status 2.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "bench sgemm --dtype f16|--dtype f16: expected bf16 or float32",
            "bench autograd --dtype bf16|--dtype applies to 'bench sgemm', 'elementwise' and 'reduce' only",
            "bench reduce --dtype bf16 --device opencl|--dtype bf16 runs on the CPU only",
            "bench apo --protocol half|--protocol half: the one protocol is 'full'",
            "bench apo --report-only|--report-only goes with --protocol full",
            "bench apo --quick --protocol full|--quick and --protocol exclude each other",
            "bench sgemm --protocol full|apply to 'bench apo' only"})
    void benchOptionProblemsAreOneLineAndStatus2(String caseSpec) {
        String[] parts = caseSpec.split("\\|");
        Object[] r = run(parts[0].split(" "));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertEquals(2, err.lines().count(), err); // the problem, then where help is
        assertTrue(err.lines().findFirst().orElseThrow().contains(parts[1]), err);
        assertTrue(err.lines().skip(1).findFirst().orElseThrow().startsWith("try './proxima help bench'"), err);
    }

    @Test
    void missingFashionMnistSaysWhatToInstall() {
        Object[] r = run("train", "--data-dir", tmp.resolve("empty").toString());
        String err = (String) r[2];
        assertEquals(2, r[0]);
        assertTrue(err.contains("apt-get install dataset-fashion-mnist"), err);
        assertTrue(err.contains("--data-dir"), err);
    }

    @Test
    void helpListsEveryCommandAndOption() {
        Object[] r = run("help");
        assertEquals(0, r[0]);
        String help = (String) r[1];
        CommandLine root = Main.commandLine();
        for (var e : root.getSubcommands().entrySet()) {
            assertTrue(help.contains("  " + e.getKey() + " "), "help misses command " + e.getKey());
            for (var opt : e.getValue().getCommandSpec().options())
                assertTrue(help.contains(opt.longestName()), "help misses " + e.getKey() + " " + opt.longestName());
        }
    }

    /**
     * {@code bench} takes exactly the names of the bench module's registry (the one list), so
     * {@code dataparallel}, which README and docs/PARALLEL.md advertise, parses; its own options
     * are refused on other benchmarks with a one-line error.
     */
    @Test
    void benchTakesEveryRegisteredName() {
        assertTrue(dev.proxima.bench.Bench.names().contains("dataparallel"));
        for (String name : dev.proxima.bench.Bench.names()) {
            CommandLine.ParseResult r = Main.commandLine().parseArgs("bench", name);
            assertEquals(name, ((BenchCommand) r.subcommand().commandSpec().userObject()).name);
        }
        BenchCommand dp = (BenchCommand) Main.commandLine().parseArgs("bench", "dataparallel", "--models", "mlp", "--workers", "2")
                .subcommand().commandSpec().userObject();
        assertEquals("mlp", dp.models);
        Object[] r = run("bench", "sgemm", "--models", "mlp");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("--models and --workers apply to 'bench dataparallel' only"), (String) r[2]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "train", "info", "bench", "test", "build", "help"})
    void everyCommandTakesHelp(String command) {
        for (String flag : List.of("--help", "-h")) {
            Object[] r = run(command, flag);
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).startsWith("Usage: proxima " + command), "out: [" + r[1] + "] err: [" + r[2] + "]");
        }
    }

    @Test
    void helpDocumentsTheExitStatuses() {
        String help = (String) run("help")[1];
        assertTrue(help.contains("Exit status: 0 done; 1 a failure while running"), help);
        assertTrue(help.contains("2 a usage error"), help);
    }

    /** The launcher checks bench's arguments in a light JVM before the heavy one: nothing runs. */
    @Test
    void checkOnlyParsesAndChecksWithoutRunning() {
        assertEquals(Main.CHECKED, Main.check("bench", "sgemm", "--repeat", "3"));
        assertEquals(Main.CHECKED, Main.check("info"));
        PrintStream sysErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            assertEquals(2, Main.check("bench", "foo"));
            assertEquals(2, Main.check("bench", "sgemm", "--quick"));
            assertEquals(2, Main.check("bogus"));
        } finally {
            System.setErr(sysErr);
        }
        assertTrue(err.toString().contains("--quick, --protocol, --report-only, --out and --tasks apply to 'bench apo' only"), err.toString());
        assertTrue(err.toString().contains("try './proxima help bench'"), err.toString());
    }

    @Test
    void outOntoAnExistingRunIsRefusedAndNothingChanges() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("old-run"));
        Files.writeString(run.resolve("metrics.csv"), "old");
        Files.writeString(run.resolve("lr.png"), "old plot");
        Object[] r = run("train", "--data-dir", fakeFashionMnist().toString(), "--out", run.toString());
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertTrue(err.startsWith("proxima train: --out " + run + " already holds a run (metrics.csv); nothing was changed"), err);
        assertTrue(err.contains("--resume " + run.resolve("checkpoint.safetensors")), err);
        assertEquals("old", Files.readString(run.resolve("metrics.csv")));
        assertEquals(List.of("lr.png", "metrics.csv"), Files.list(run).map(p -> p.getFileName().toString()).sorted().toList());
        // An empty or new directory is fine.
        Files.createDirectories(tmp.resolve("empty"));
        parseTrain("train", "--data-dir", fakeFashionMnist().toString(), "--out", tmp.resolve("empty").toString()).check();
    }

    /** A checkpoint of a run that finished its epochs, as Trainer writes one (metadata only). */
    private Path finishedCheckpoint(int epochs) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("finished"));
        TrainConfig c = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.SGD, "sgd", 0.05, epochs, 64, 0, 0, 0, "cpu", 0,
                null, null, tmp);
        var meta = new java.util.LinkedHashMap<String, String>();
        for (var e : c.all().entrySet()) meta.put("config." + e.getKey(), e.getValue());
        meta.put("epoch", Integer.toString(epochs - 1));
        meta.put("evaluated", "true");
        Path ck = dir.resolve("checkpoint.safetensors");
        dev.proxima.nn.io.Checkpoint.save(ck, new java.util.LinkedHashMap<String, dev.proxima.autograd.Tensor>(
                java.util.Map.of("w", dev.proxima.autograd.Tensor.zeros(1))), meta);
        return ck;
    }

    @Test
    void resumingAFinishedRunSaysToPassEpochs() throws Exception {
        Path ck = finishedCheckpoint(2);
        Object[] r = run("train", "--data-dir", fakeFashionMnist().toString(), "--resume", ck.toString());
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertTrue(err.startsWith("proxima train: --resume " + ck + ": the run has finished 2 of 2 epochs; pass --epochs 3 (or more)"), err);
        // The checkpoint's epochs are kept when --epochs is not given; more epochs are accepted.
        assertEquals(2, parseTrain("train", "--data-dir", fakeFashionMnist().toString(), "--resume", ck.toString(), "--epochs", "3")
                .config().epochs() - 1);
    }

    @Test
    void aDeviceThatIsNotThereIsAUsageError() throws Exception {
        Object[] r = run("train", "--data-dir", fakeFashionMnist().toString(), "--out", tmp.resolve("x").toString(), "--device", "opencl:7");
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertEquals(2, err.lines().count(), err);
        assertTrue(err.startsWith("proxima train: "), err);
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void configRecordsTheThreadCountInUse() {
        TrainConfig c = new TrainConfig("mlp", "fashion-mnist", TrainConfig.Optimizer.SGD, "sgd", 0.05, 1, 64, 0, 0, 0, "cpu", 0,
                null, null, tmp);
        assertEquals(Integer.toString(dev.proxima.tensor.cpu.Parallel.threads()), c.all().get("threads"));
        assertTrue(Integer.parseInt(c.all().get("threads")) >= 1);
    }
}
