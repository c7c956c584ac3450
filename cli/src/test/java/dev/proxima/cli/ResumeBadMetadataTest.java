package dev.proxima.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.nn.io.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --resume} from a checkpoint whose metadata holds {@code "step":"x"}: the error names the file and the field. */
class ResumeBadMetadataTest {
    @TempDir
    Path tmp;

    @Test
    void aNonNumericStepNamesTheFileAndTheField() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(TrainCommand.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped");
        Path run = tmp.resolve("run");
        assertEquals(0, Main.run("train", "--model", "mlp", "--epochs", "1", "--batch", "16", "--steps", "2", "--limit", "64",
                "--out", run.toString()));
        Path file = run.resolve("checkpoint.safetensors");
        Checkpoint good = Checkpoint.load(file);
        Map<String, String> meta = new LinkedHashMap<>(good.metadata());
        meta.put("step", "x");
        Checkpoint.save(file, good.tensors(), meta);

        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.run("train", "--resume", file.toString(), "--epochs", "2", "--out", tmp.resolve("resumed").toString());
        } finally {
            System.setErr(before);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(rc != 0, message);
        assertTrue(message.contains(file + ": metadata field \"step\" is \"x\", not an integer"), message);
    }
}
