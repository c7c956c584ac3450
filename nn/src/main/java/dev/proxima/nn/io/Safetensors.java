package dev.proxima.nn.io;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The safetensors format of Hugging Face, read and written without dependencies, so
 * checkpoints move between Proxima, PyTorch and the Hugging Face tools.
 *
 * <p><b>Format.</b> An 8-byte little-endian unsigned length {@code N}; {@code N} bytes of
 * UTF-8 JSON, an object mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}} and optionally
 * {@code "__metadata__"} to an object of strings; then the data section, each tensor's
 * elements row-major and little-endian at {@code [begin, end)} relative to the section start.
 *
 * <p><b>Types.</b> F32, F64, I32 and BF16 read and write as float32, float64, int32 and
 * bfloat16 (BF16's bits move unchanged, with no float32 copy). F16 reads converted to float32
 * (exactly: every half value is a float). I64 reads as int32
 * when every value fits, else the read fails naming the tensor; {@link #writeStateDict} writes
 * int32 as I64 (PyTorch's integer buffers are int64), {@link #write} as I32. Other dtypes (U8, BOOL, F8,
 * ...) are rejected by name.
 *
 * <p><b>Validation before allocation.</b> The reader checks, before it allocates any tensor:
 * the header length against the file size (and the reference limit of 100 MB); that the
 * header is well-formed JSON (strict: {@code Json}) whose entries have exactly the fields
 * above; known dtypes; non-negative shapes with fewer than 2^31 elements; that shape times
 * dtype size equals {@code end - begin}; and that the tensors tile the data section exactly:
 * sorted by offset, each begins where the previous ended, the first at 0 and the last at the
 * end of the file. The reference implementation enforces the same tiling (it rejects gaps,
 * overlaps and trailing bytes), so the files it writes pass; an entry with a field other than
 * the three above is rejected here, where the reference would ignore it.
 * Every error is a {@link MalformedFileException} naming the file and the tensor or field.
 *
 * <p><b>Atomic writes.</b> {@link #write} writes to a temporary file in the target's
 * directory, forces it to disk, then renames it over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}: a crash leaves the old file or the new one, never
 * half of one, and a failure midway deletes the temporary file. The header is padded with
 * spaces so the data section starts 8-byte aligned, as the reference writer does.
 */
public final class Safetensors {
    private Safetensors() {}

    /** The reference implementation's bound on the header length. */
    static final long MAX_HEADER = 100_000_000;

    /** Tensors in data-offset order, and the {@code __metadata__} strings. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** The element types of the format that Proxima reads. */
    private enum Kind {
        F32(4), F64(8), I32(4), I64(8), F16(2), BF16(2);

        final int size;

        Kind(int size) {
            this.size = size;
        }
    }

    /** Dtype names of the format that Proxima does not read, so the error can say "unsupported", not "unknown". */
    private static final List<String> OTHER_DTYPES =
            List.of("BOOL", "U8", "I8", "U16", "I16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");

    private record Entry(String name, Kind kind, int[] shape, long begin, long end) {}

    /** The tensors of a safetensors file, in data-offset order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return readWithMetadata(file).tensors();
    }

    /** The tensors of a safetensors file and its {@code __metadata__} (empty when absent). */
    public static Contents readWithMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw new MalformedFileException(file, "header length: the file holds " + size + " bytes, fewer than the 8-byte header length");
            long n = readAt(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > size - 8)
                throw new MalformedFileException(file, "header length " + Long.toUnsignedString(n) + " exceeds the " + (size - 8)
                        + " bytes that follow it");
            if (n > MAX_HEADER)
                throw new MalformedFileException(file, "header length " + n + " exceeds the format's limit of " + MAX_HEADER + " bytes");
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(readAt(ch, 8, (int) n)).toString();
            } catch (CharacterCodingException e) {
                throw new MalformedFileException(file, "header is not valid UTF-8", e);
            }
            Object json;
            try {
                json = Json.parse(text);
            } catch (Json.Error e) {
                throw new MalformedFileException(file, "header JSON " + e.getMessage(), e);
            }
            if (!(json instanceof Map<?, ?> top))
                throw new MalformedFileException(file, "header is JSON but not an object");
            long dataStart = 8 + n, dataLength = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) metadata = metadata(file, e.getValue());
                else entries.add(entry(file, name, e.getValue()));
            }
            checkTiling(file, entries, dataLength);
            // Everything is validated: each allocation below is bounded by the file's own length.
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry en : entries) {
                ByteBuffer bytes = readAt(ch, dataStart + en.begin, (int) (en.end - en.begin)).order(ByteOrder.LITTLE_ENDIAN);
                tensors.put(en.name, Tensor.of(decode(file, en, bytes)));
            }
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    private static Map<String, String> metadata(Path file, Object v) throws MalformedFileException {
        if (!(v instanceof Map<?, ?> m))
            throw new MalformedFileException(file, "__metadata__ must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s))
                throw new MalformedFileException(file, "__metadata__ \"" + e.getKey() + "\" is not a string");
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static Entry entry(Path file, String name, Object v) throws MalformedFileException {
        String what = "tensor \"" + name + "\"";
        if (!(v instanceof Map<?, ?> m))
            throw new MalformedFileException(file, what + ": entry is not an object");
        for (Object key : m.keySet())
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets"))
                throw new MalformedFileException(file, what + ": unexpected field \"" + key + "\" (expected dtype, shape, data_offsets)");
        if (!(m.get("dtype") instanceof String dtype))
            throw new MalformedFileException(file, what + ": dtype is missing or not a string");
        Kind kind;
        try {
            kind = Kind.valueOf(dtype);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(file, what + ": dtype " + dtype + (OTHER_DTYPES.contains(dtype)
                    ? " is not supported (Proxima reads F32, F64, F16, BF16, I32, I64)" : " is not a safetensors dtype"));
        }
        if (!(m.get("shape") instanceof List<?> shapeList))
            throw new MalformedFileException(file, what + ": shape is missing or not an array");
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE)
                throw new MalformedFileException(file, what + ": shape " + shapeList + " has a dimension that is not an integer in [0, 2^31)");
            shape[i] = (int) (long) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE) // checked per factor, so the product never overflows
                throw new MalformedFileException(file, what + ": shape " + shapeList + " has more than 2^31 - 1 elements");
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end))
            throw new MalformedFileException(file, what + ": data_offsets is missing or not a pair of integers");
        if (begin < 0 || end < begin)
            throw new MalformedFileException(file, what + ": data_offsets [" + begin + ", " + end + "] is not a range");
        if (end - begin != numel * kind.size)
            throw new MalformedFileException(file, what + ": shape " + Arrays.toString(shape) + " of " + kind + " needs "
                    + numel * kind.size + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        return new Entry(name, kind, shape, begin, end);
    }

    private static void checkTiling(Path file, List<Entry> entries, long dataLength) throws MalformedFileException {
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin < at)
                throw new MalformedFileException(file, "tensor \"" + e.name + "\": data_offsets [" + e.begin + ", " + e.end
                        + "] overlap tensor \"" + previous.name + "\" [" + previous.begin + ", " + previous.end + "]");
            if (e.begin > at)
                throw new MalformedFileException(file, "tensor \"" + e.name + "\": data_offsets [" + e.begin + ", " + e.end
                        + "] leave a gap after " + (previous == null ? "the start of the data section" : "tensor \"" + previous.name + "\"")
                        + " (bytes " + at + " to " + e.begin + ")");
            if (e.end > dataLength)
                throw new MalformedFileException(file, "tensor \"" + e.name + "\": data_offsets [" + e.begin + ", " + e.end
                        + "] run past the " + dataLength + "-byte data section (truncated file?)");
            at = e.end;
            previous = e;
        }
        if (at != dataLength)
            throw new MalformedFileException(file, "data section holds " + dataLength + " bytes but the tensors cover " + at
                    + (at < dataLength ? " (trailing bytes)" : ""));
    }

    private static NDArray decode(Path file, Entry e, ByteBuffer b) throws MalformedFileException {
        int n = (int) ((e.end - e.begin) / e.kind.size);
        Object data = switch (e.kind) {
            case F32 -> { float[] a = new float[n]; b.asFloatBuffer().get(a); yield a; }
            case F64 -> { double[] a = new double[n]; b.asDoubleBuffer().get(a); yield a; }
            case I32 -> { int[] a = new int[n]; b.asIntBuffer().get(a); yield a; }
            case I64 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    long v = b.getLong(8 * i);
                    if (v != (int) v)
                        throw new MalformedFileException(file, "tensor \"" + e.name + "\": I64 element " + i + " = " + v
                                + " does not fit int32, Proxima's integer type");
                    a[i] = (int) v;
                }
                yield a;
            }
            case F16 -> { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = Float.float16ToFloat(b.getShort(2 * i)); yield a; }
            case BF16 -> { short[] a = new short[n]; b.asShortBuffer().get(a); yield a; } // the bits, as PyTorch stores them
        };
        return NDArray.wrap(Device.defaultDevice().backend().upload(data), e.shape);
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int got = ch.read(b, position + b.position());
            if (got < 0) throw new IOException("unexpected end of file at byte " + (position + b.position()));
        }
        return b.flip();
    }

    // ---- writing -----------------------------------------------------------------------

    /** Writes {@code tensors} (float32, float64 or int32, any device) atomically, in the map's order. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes {@code tensors} and {@code metadata} (stored as {@code __metadata__}) atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, false, name -> {});
    }

    /**
     * Writes a module's {@link dev.proxima.nn.Module#stateDict() state dict} as PyTorch's
     * {@code state_dict()} holds it, atomically: as {@link #write}, except that int32 tensors
     * (Proxima's one integer type; in a state dict, BatchNorm's {@code num_batches_tracked})
     * are stored as I64, the int64 that PyTorch's integer buffers are, so the file's dtypes are
     * PyTorch's own. {@link #read} gives them back as int32. PyTorch loads the file with
     * {@code model.load_state_dict(safetensors.torch.load_file(path))}.
     */
    public static void writeStateDict(Path file, Map<String, Tensor> stateDict) throws IOException {
        write(file, stateDict, Map.of(), true, name -> {});
    }

    /** A test seam: called after each tensor's bytes are written to the temporary file. */
    interface AfterTensor {
        void written(String name) throws IOException;
    }

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, AfterTensor hook) throws IOException {
        write(file, tensors, metadata, false, hook);
    }

    /** {@code int64}: int32 tensors are written as I64 ({@link #writeStateDict}), else as I32. */
    private static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean int64, AfterTensor hook)
            throws IOException {
        byte[] header = header(tensors, metadata, int64);
        Path target = file.toAbsolutePath();
        Path tmp = createSibling(target);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
                writeFully(ch, ByteBuffer.wrap(header));
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    writeFully(ch, bytes(e.getValue().data(), int64));
                    hook.written(e.getKey());
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty file beside {@code target}, hidden, with a random suffix. Not
     * Files.createTempFile: its owner-only permissions would stick to the checkpoint after
     * the rename; createFile gives the usual (umask) permissions and never reuses a file.
     */
    private static Path createSibling(Path target) throws IOException {
        while (true) {
            Path tmp = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                // another writer drew the same name: draw again
            }
        }
    }

    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata, boolean int64) {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                h.append(sep).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                sep = ",";
            }
            h.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__"))
                throw new IllegalArgumentException("Safetensors.write: \"__metadata__\" is reserved and cannot name a tensor");
            NDArray a = e.getValue().data();
            String dtype = switch (a.dtype()) {
                case FLOAT32 -> "F32";
                case FLOAT64 -> "F64";
                case INT32 -> int64 ? "I64" : "I32";
                case BFLOAT16 -> "BF16";
            };
            long bytes = (long) a.size() * elementBytes(a, int64);
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(name)).append(":{\"dtype\":\"").append(dtype).append("\",\"shape\":[");
            int[] shape = a.shape();
            for (int i = 0; i < shape.length; i++) h.append(i > 0 ? "," : "").append(shape[i]);
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] utf8 = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) / 8 * 8; // 8 + header is then a multiple of 8
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    private static int elementBytes(NDArray a, boolean int64) {
        return a.dtype() == dev.proxima.tensor.DType.INT32 && int64 ? 8 : a.dtype().byteSize();
    }

    private static ByteBuffer bytes(NDArray a, boolean int64) {
        ByteBuffer b = ByteBuffer.allocate(a.size() * elementBytes(a, int64)).order(ByteOrder.LITTLE_ENDIAN);
        switch (a.dtype()) {
            case FLOAT32 -> b.asFloatBuffer().put(a.toFloatArray());
            case FLOAT64 -> b.asDoubleBuffer().put(a.toDoubleArray());
            case INT32 -> {
                int[] v = a.toIntArray();
                if (int64) for (int i = 0; i < v.length; i++) b.putLong(8 * i, v[i]); // sign-extended, as torch.long holds it
                else b.asIntBuffer().put(v);
            }
            case BFLOAT16 -> b.asShortBuffer().put(a.toBFloat16Bits());
        }
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
