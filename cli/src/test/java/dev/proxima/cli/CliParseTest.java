package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertEquals(32, t.batch);
        assertEquals(7, t.seed);
        assertEquals(5, t.steps);
        assertEquals(100, t.limit);
        assertEquals("opencl:1", t.device);
        assertEquals(2, t.threads);
        assertEquals(tmp.resolve("run"), t.out);
        assertEquals(ckpt, t.resume);
        assertEquals(tmp, t.dataDir);
        TrainConfig c = t.config();
        assertEquals("transformer", c.model());
        assertEquals(0.003, c.lr());
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

    /** Each bad argument: exit status 2, the first line names the problem, usage follows, no stack trace. */
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
            "nonsense|Unmatched argument"})
    void badArgumentsAreOneLineAndUsage(String caseSpec) {
        String[] parts = caseSpec.split("\\|");
        Object[] r = run(parts[0].split(" "));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        String first = err.lines().findFirst().orElse("");
        assertTrue(first.startsWith("proxima"), first);
        assertTrue(first.contains(parts[1]), first);
        assertTrue(err.contains("Usage: proxima"), err);
        assertFalse(err.contains("\tat "), err);
        assertFalse(err.contains("Exception"), err);
    }

    /** Problems found after parsing: one line, status 2, nothing written. */
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
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains(parts[1]), err);
        assertFalse(Files.exists(out), "a failed command wrote " + out);
    }

    /** bench apo's protocol options: checked before anything runs, one line, status 2. */
    @ParameterizedTest
    @ValueSource(strings = {
            "bench apo --protocol half|--protocol half: the one protocol is 'full'",
            "bench apo --report-only|--report-only goes with --protocol full",
            "bench apo --quick --protocol full|--quick and --protocol exclude each other",
            "bench sgemm --protocol full|apply to 'bench apo' only"})
    void benchApoProtocolOptionsAreChecked(String caseSpec) {
        String[] parts = caseSpec.split("\\|");
        Object[] r = run(parts[0].split(" "));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains(parts[1]), err);
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
}
