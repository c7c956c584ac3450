package dev.proxima.nn.io;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A saved set of named tensors (a model's state dict, an optimizer's state) with string
 * metadata (step, configuration), stored as one safetensors file. Saving is atomic (see
 * {@link Safetensors}): an interrupted save leaves the previous checkpoint intact.
 *
 * <pre>{@code
 * Checkpoint.save(dir.resolve("step-1000.safetensors"), model.stateDict(), Map.of("step", "1000"));
 * Checkpoint c = Checkpoint.load(dir.resolve("step-1000.safetensors"));
 * model.loadStateDict(c.tensors());
 * }</pre>
 */
public record Checkpoint(Map<String, Tensor> tensors, Map<String, String> metadata) {
    public Checkpoint {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors)); // keeps the file's order
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Writes {@code tensors} and {@code metadata} to {@code file} atomically. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Safetensors.write(file, tensors, metadata);
    }

    /** Writes a parameter tree (names as in {@link Params#names()}) and {@code metadata} atomically. */
    public static void save(Path file, Params params, Map<String, String> metadata) throws IOException {
        Safetensors.write(file, params.asMap(), metadata);
    }

    /** Reads a checkpoint written by {@link #save} or any safetensors writer. */
    public static Checkpoint load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.readWithMetadata(file);
        return new Checkpoint(c.tensors(), c.metadata());
    }

    /** The tensors as a parameter tree, in file order. */
    public Params params() {
        return Params.of(tensors);
    }
}
