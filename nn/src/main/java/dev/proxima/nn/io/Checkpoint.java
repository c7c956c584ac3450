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
 * long step = c.longMetadata("step");                 // names the file and the field when bad
 * }</pre>
 *
 * @param file where it was read from ({@link #load}), named in errors; null when built in memory
 */
public record Checkpoint(Map<String, Tensor> tensors, Map<String, String> metadata, Path file) {
    public Checkpoint {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors)); // keeps the file's order
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** A checkpoint built in memory (no file). */
    public Checkpoint(Map<String, Tensor> tensors, Map<String, String> metadata) {
        this(tensors, metadata, null);
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
        return new Checkpoint(c.tensors(), c.metadata(), file);
    }

    /**
     * A metadata field as an integer. A missing field or one that is not an int is a
     * {@link MalformedFileException} naming the file, the field and its value
     * ({@code run/last.safetensors: metadata field "step" is "x", not an integer}), not a
     * bare {@code NumberFormatException: For input string: "x"}.
     */
    public int intMetadata(String key) throws MalformedFileException {
        String v = requireMetadata(key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw malformed("metadata field \"" + key + "\" is \"" + v + "\", not an integer", e);
        }
    }

    /** A metadata field as a long; errors as {@link #intMetadata}. */
    public long longMetadata(String key) throws MalformedFileException {
        String v = requireMetadata(key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw malformed("metadata field \"" + key + "\" is \"" + v + "\", not an integer", e);
        }
    }

    /** A metadata field as a double (Java's syntax: NaN and Infinity included); errors as {@link #intMetadata}. */
    public double doubleMetadata(String key) throws MalformedFileException {
        String v = requireMetadata(key);
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw malformed("metadata field \"" + key + "\" is \"" + v + "\", not a number", e);
        }
    }

    /** A metadata field that must read "true" or "false" (not Boolean.parseBoolean's anything-else-is-false). */
    public boolean booleanMetadata(String key) throws MalformedFileException {
        String v = requireMetadata(key);
        if (v.trim().equalsIgnoreCase("true")) return true;
        if (v.trim().equalsIgnoreCase("false")) return false;
        throw malformed("metadata field \"" + key + "\" is \"" + v + "\", not true or false", null);
    }

    private String requireMetadata(String key) throws MalformedFileException {
        String v = metadata.get(key);
        if (v == null) throw malformed("metadata has no field \"" + key + "\" (it has " + metadata.keySet() + ")", null);
        return v;
    }

    private MalformedFileException malformed(String message, Throwable cause) {
        Path where = file != null ? file : Path.of("(checkpoint in memory)");
        return new MalformedFileException(where, message, cause);
    }

    /** The tensors as a parameter tree, in file order. */
    public Params params() {
        return Params.of(tensors);
    }
}
