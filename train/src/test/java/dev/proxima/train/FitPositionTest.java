package dev.proxima.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.Checkpoint;
import dev.proxima.nn.io.MalformedFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** A {@link Fit.Position} goes into a checkpoint's metadata and comes back the same; a bad field names the file and the field. */
class FitPositionTest {

    @Property(tries = 50)
    void aPositionRoundTripsThroughCheckpointMetadata(@ForAll @IntRange(min = 0) int epoch, @ForAll @IntRange(min = 0) int batch,
                                                      @ForAll @LongRange(min = 0) long step, @ForAll boolean evaluated) throws Exception {
        Fit.Position p = new Fit.Position(epoch, batch, step, evaluated);
        Map<String, String> meta = new LinkedHashMap<>();
        p.save(meta);
        assertEquals(p, Fit.Position.load(new Checkpoint(Map.<String, Tensor>of(), meta, null)));
    }

    @Property(tries = 10)
    void aMalformedFieldNamesTheFileAndTheField(@ForAll @IntRange(min = 0, max = 3) int which) {
        Map<String, String> meta = new LinkedHashMap<>();
        new Fit.Position(1, 2, 3, true).save(meta);
        String field = new String[] {"epoch", "batch_in_epoch", "step", "evaluated"}[which];
        meta.put(field, "x");
        Path file = Path.of("run", "checkpoint.safetensors");
        MalformedFileException e = assertThrows(MalformedFileException.class,
                () -> Fit.Position.load(new Checkpoint(Map.<String, Tensor>of(), meta, file)));
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains("checkpoint.safetensors"), e.getMessage());
    }
}
