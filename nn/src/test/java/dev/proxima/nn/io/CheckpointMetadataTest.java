package dev.proxima.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Typed reads of a checkpoint's metadata: a bad value names the file, the field and the value
 * ({@code train --resume} with {@code "step":"x"} printed only {@code For input string: "x"}).
 */
class CheckpointMetadataTest {

    @Test
    void goodValuesReadBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("last.safetensors");
        Checkpoint.save(f, Map.of("w", Tensor.of(new float[] {1, 2}, 2)),
                Map.of("step", "12345678901", "epoch", "3", "elapsed_s", "1.5", "evaluated", "true"));
        Checkpoint c = Checkpoint.load(f);
        assertEquals(f, c.file());
        assertEquals(12345678901L, c.longMetadata("step"));
        assertEquals(3, c.intMetadata("epoch"));
        assertEquals(1.5, c.doubleMetadata("elapsed_s"));
        assertTrue(c.booleanMetadata("evaluated"));
    }

    @Provide
    Arbitrary<String> notNumbers() {
        return Arbitraries.oneOf(Arbitraries.of("x", "", "1.5.2", "12a", "true", "0x10", "99999999999999999999"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8));
    }

    @Property(tries = 50)
    void aBadValueNamesTheFileTheFieldAndTheValue(@ForAll("notNumbers") String bad) throws Exception {
        Path f = Path.of("runs", "mlp", "last.safetensors");
        Checkpoint c = new Checkpoint(Map.of(), Map.of("step", bad, "evaluated", bad), f);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> c.longMetadata("step"));
        assertEquals(f + ": metadata field \"step\" is \"" + bad + "\", not an integer", e.getMessage());
        assertEquals(f, e.file());
        assertThrows(MalformedFileException.class, () -> c.intMetadata("step"));
        if (!bad.equalsIgnoreCase("true") && !bad.equalsIgnoreCase("false"))
            assertTrue(assertThrows(MalformedFileException.class, () -> c.booleanMetadata("evaluated")).getMessage()
                    .contains("\"evaluated\" is \"" + bad + "\", not true or false"));
        if (!bad.equals("99999999999999999999") && !bad.matches("(?i)nan|infinity"))
            assertTrue(assertThrows(MalformedFileException.class, () -> c.doubleMetadata("step")).getMessage().contains("not a number"));
    }

    @Test
    void aMissingFieldIsNamedWithTheFieldsThereAre() {
        Checkpoint c = new Checkpoint(Map.of(), Map.of("epoch", "1"), Path.of("a.safetensors"));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> c.longMetadata("step"));
        assertEquals("a.safetensors: metadata has no field \"step\" (it has [epoch])", e.getMessage());
    }
}
