package dev.proxima.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class SafetensorsTest {
    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("safetensors-test");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    static Path resource(String name) {
        try {
            return Path.of(SafetensorsTest.class.getResource("/safetensors/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    // ---- interoperability with PyTorch -------------------------------------------------

    @Example
    void aFileWrittenFromPyTorchLoadsWithTheSameValues() throws Exception {
        Safetensors.Contents c = Safetensors.readWithMetadata(resource("torch.safetensors"));
        @SuppressWarnings("unchecked")
        Map<String, Object> expected = (Map<String, Object>) Json.parse(Files.readString(resource("torch.expected.json")));
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(c.tensors().keySet()), "tensors in file order");
        assertEquals(Map.of("format", "pt", "source", "make_safetensors_fixture.py"), c.metadata());
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) e.getValue();
            Tensor t = c.tensors().get(e.getKey());
            DType dtype = switch ((String) spec.get("dtype")) {
                case "F64" -> DType.FLOAT64;
                case "I32", "I64" -> DType.INT32;
                case "BF16" -> DType.BFLOAT16;
                default -> DType.FLOAT32; // F32, and F16 converted
            };
            assertEquals(dtype, t.dtype(), e.getKey());
            int[] shape = ((List<?>) spec.get("shape")).stream().mapToInt(o -> (int) (long) (Long) o).toArray();
            assertArrayEquals(shape, t.shape(), e.getKey());
            List<?> values = (List<?>) spec.get("values");
            double[] got = t.data().toDoubleArray();
            assertEquals(values.size(), got.length, e.getKey());
            for (int i = 0; i < got.length; i++) // bit-exact: signed zeros, subnormals, infinities
                assertEquals(Double.doubleToLongBits(Double.parseDouble((String) values.get(i))), Double.doubleToLongBits(got[i]),
                        e.getKey() + "[" + i + "] = " + got[i] + ", expected " + values.get(i));
        }
    }

    @Example
    void writingWhatPyTorchWroteGivesTheSameBytes() throws IOException {
        Path torch = resource("torch_plain.safetensors");
        Path ours = dir.resolve("rewritten.safetensors");
        Safetensors.write(ours, Safetensors.read(torch));
        assertArrayEquals(Files.readAllBytes(torch), Files.readAllBytes(ours));
    }

    // ---- our files, at byte level ------------------------------------------------------

    static final String[] NAME_PARTS = {"w", "layer.0.weight", "bias", "é", "名", "q\"uote", "back\\slash", "tab\t", "😀", "__x"};

    static Map<String, Tensor> randomTensors(Rng r) {
        return randomTensors(r, 4);
    }

    static Map<String, Tensor> randomTensors(Rng r, int maxDim) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        int n = r.nextInt(5);
        for (int k = 0; k < n; k++) {
            String name = NAME_PARTS[r.nextInt(NAME_PARTS.length)] + k;
            int[] shape = new int[r.nextInt(4)];
            for (int i = 0; i < shape.length; i++) shape[i] = r.nextInt(maxDim);
            int size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            NDArray a = switch (r.nextInt(4)) {
                case 0 -> NDArray.randn(r, DType.FLOAT32, shape);
                case 1 -> NDArray.randn(r, DType.FLOAT64, shape);
                case 2 -> NDArray.randn(r, DType.BFLOAT16, shape);
                default -> {
                    int[] v = new int[size];
                    for (int i = 0; i < size; i++) v[i] = (int) ((r.nextDouble() - 0.5) * 4e9);
                    yield NDArray.of(v, shape);
                }
            };
            if (a.ndim() >= 2 && r.nextInt(2) == 0) a = a.mT(); // strided views are written row-major
            m.put(name, Tensor.of(a));
        }
        return m;
    }

    static Map<String, String> randomMetadata(Rng r) {
        Map<String, String> m = new LinkedHashMap<>();
        int n = r.nextInt(3);
        for (int k = 0; k < n; k++) m.put(NAME_PARTS[r.nextInt(NAME_PARTS.length)] + k, "v" + NAME_PARTS[r.nextInt(NAME_PARTS.length)]);
        return m;
    }

    @Property(tries = 100)
    void writtenFilesFollowTheFormatAndReadBack(@ForAll long seed) throws Exception {
        Rng r = new Rng(seed);
        Map<String, Tensor> tensors = randomTensors(r);
        // Half the files as a state dict (writeStateDict: no metadata, int32 stored as I64).
        boolean stateDict = r.nextInt(2) == 0;
        Map<String, String> metadata = stateDict ? Map.of() : randomMetadata(r);
        Path p = dir.resolve("roundtrip.safetensors");
        if (stateDict) Safetensors.writeStateDict(p, tensors);
        else Safetensors.write(p, tensors, metadata);
        byte[] bytes = Files.readAllBytes(p);

        // Byte level: length prefix, space-padded header ending 8-byte aligned, then each tensor's
        // little-endian elements back to back in the map's order.
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        int end = (int) (8 + n);
        while (bytes[end - 1] == ' ') end--;
        assertTrue(8 + n - end < 8, "at most 7 padding spaces");
        assertEquals('{', bytes[8]);
        assertEquals('}', bytes[end - 1]);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(header);
        List<String> keys = new ArrayList<>(json.keySet());
        if (!metadata.isEmpty()) assertEquals("__metadata__", keys.remove(0));
        assertEquals(List.copyOf(tensors.keySet()), keys);
        assertEquals(metadata.isEmpty() ? null : metadata, json.get("__metadata__"));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            NDArray a = e.getValue().data();
            Map<?, ?> entry = (Map<?, ?>) json.get(e.getKey());
            assertEquals(List.of("dtype", "shape", "data_offsets"), List.copyOf(entry.keySet()));
            assertEquals(switch (a.dtype()) { case FLOAT32 -> "F32"; case FLOAT64 -> "F64"; case INT32 -> stateDict ? "I64" : "I32"; case BFLOAT16 -> "BF16"; }, entry.get("dtype"));
            assertEquals(Arrays.stream(a.shape()).mapToObj(d -> (Object) (long) d).toList(), entry.get("shape"));
            long length = (long) a.size() * (stateDict && a.dtype() == DType.INT32 ? 8 : a.dtype().byteSize());
            assertEquals(List.of(offset, offset + length), entry.get("data_offsets"));
            ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n + offset), (int) length).slice().order(ByteOrder.LITTLE_ENDIAN);
            switch (a.dtype()) {
                case FLOAT32 -> { float[] v = a.toFloatArray(); for (int i = 0; i < v.length; i++) assertEquals(Float.floatToRawIntBits(v[i]), data.getInt(4 * i)); }
                case FLOAT64 -> { double[] v = a.toDoubleArray(); for (int i = 0; i < v.length; i++) assertEquals(Double.doubleToRawLongBits(v[i]), data.getLong(8 * i)); }
                case INT32 -> { int[] v = a.toIntArray(); for (int i = 0; i < v.length; i++) assertEquals(v[i], stateDict ? data.getLong(8 * i) : data.getInt(4 * i)); }
                case BFLOAT16 -> { short[] v = a.toBFloat16Bits(); for (int i = 0; i < v.length; i++) assertEquals(v[i], data.getShort(2 * i)); }
            }
            offset += length;
        }
        assertEquals(bytes.length, 8 + n + offset);

        // And back.
        Safetensors.Contents c = Safetensors.readWithMetadata(p);
        assertEquals(metadata, c.metadata());
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(c.tensors().keySet()));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor got = c.tensors().get(e.getKey());
            assertEquals(e.getValue().dtype(), got.dtype());
            assertArrayEquals(e.getValue().shape(), got.shape());
            assertArrayEquals(e.getValue().data().toDoubleArray(), got.data().toDoubleArray());
        }
        assertEquals(List.of(p), listDir()); // no temporary file left behind
        Files.delete(p);
    }

    // ---- corrupt files -----------------------------------------------------------------

    @Property(tries = 150)
    void corruptHeadersFailClearlyOrReadConsistently(@ForAll long seed) throws IOException {
        Rng r = new Rng(seed);
        Map<String, Tensor> tensors = randomTensors(r);
        Path p = dir.resolve("corrupt.safetensors");
        Safetensors.write(p, tensors, randomMetadata(r));
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int flips = 1 + r.nextInt(3);
        for (int k = 0; k < flips; k++) {
            int at = r.nextInt((int) Math.min(bytes.length, 8 + n)); // the length prefix and the header
            bytes[at] = switch (r.nextInt(3)) {
                case 0 -> (byte) r.nextInt(256);
                case 1 -> (byte) "{}[]\",:0123456789-e.\\ ".charAt(r.nextInt(22)); // JSON-shaped damage
                default -> (byte) (bytes[at] ^ (1 << r.nextInt(8)));
            };
        }
        Files.write(p, bytes);
        readOrMalformed(p);
        Files.delete(p);
    }

    @Property(tries = 25)
    void truncatedFilesFail(@ForAll long seed) throws IOException {
        Rng r = new Rng(seed);
        Path p = dir.resolve("whole.safetensors");
        Map<String, Tensor> tensors = randomTensors(r);
        if (tensors.values().stream().allMatch(t -> t.data().size() == 0)) tensors.put("x", Tensor.of(1f, 2f));
        Safetensors.write(p, tensors, randomMetadata(r));
        byte[] bytes = Files.readAllBytes(p);
        Path q = dir.resolve("truncated.safetensors");
        // Every prefix of a file fails; draw 20 of them per file, across the length, header and data.
        for (int k = 0; k < 20; k++) {
            Files.write(q, Arrays.copyOf(bytes, r.nextInt(bytes.length)));
            expectMalformed(q);
        }
        Files.delete(q);
        Files.delete(p);
    }

    private static void readOrMalformed(Path p) throws IOException {
        try {
            Safetensors.Contents c = Safetensors.readWithMetadata(p);
            long total = 0;
            for (Tensor t : c.tensors().values()) total += (long) t.data().size() * t.dtype().byteSize();
            assertTrue(total <= Files.size(p));
        } catch (MalformedFileException e) {
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        }
    }

    /** A file of {@code header} (padded) and {@code dataBytes} zero bytes. */
    static Path withHeader(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("handmade.safetensors");
        Files.write(p, b.array());
        return p;
    }

    static String field(String header, int dataBytes) throws IOException {
        return expectMalformed(withHeader(header, dataBytes)).getMessage();
    }

    @Example
    void eachBadFieldIsNamed() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}";
        assertEquals(2, Safetensors.read(withHeader(ok, 16)).size());
        assertContains(field(ok, 12), "tensor \"b\"", "run past the 12-byte data section");
        assertContains(field(ok, 20), "trailing bytes");
        assertContains(field(ok.replace("[8,16]", "[4,12]"), 16), "tensor \"b\"", "overlap tensor \"a\"");
        assertContains(field(ok.replace("[8,16]", "[12,20]"), 20), "tensor \"b\"", "gap");
        assertContains(field(ok.replace("\"shape\":[2]", "\"shape\":[3]"), 16), "tensor \"a\"", "needs 12 bytes", "span 8");
        assertContains(field(ok.replace("\"F64\"", "\"U8\""), 16), "tensor \"b\"", "U8 is not supported");
        assertContains(field(ok.replace("\"F64\"", "\"F65\""), 16), "tensor \"b\"", "F65 is not a safetensors dtype");
        assertContains(field(ok.replace("[1]", "[-1]"), 16), "tensor \"b\"", "shape");
        assertContains(field(ok.replace("[1]", "[1.0]"), 16), "tensor \"b\"", "shape");
        assertContains(field(ok.replace("[1]", "[65536,65536]"), 16), "tensor \"b\"", "more than 2^31 - 1 elements");
        assertContains(field(ok.replace("[8,16]", "[8]"), 16), "tensor \"b\"", "data_offsets");
        assertContains(field(ok.replace("[8,16]", "[16,8]"), 16), "tensor \"b\"", "not a range");
        assertContains(field(ok.replace("\"dtype\":\"F64\",", "\"dtype\":\"F64\",\"extra\":1,"), 16), "unexpected field \"extra\"");
        assertContains(field(ok.replace("}}", "},}"), 16), "header JSON at character");
        assertContains(field(ok.replace("\"b\"", "\"a\""), 16), "duplicate key \"a\"");
        assertContains(field("[" + ok + "]", 16), "not an object");
        assertContains(field("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ \"k\" is not a string");
        assertContains(field("[".repeat(100_000), 0), "nesting deeper than");
        assertContains(field("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 0), "run past");
        // I64 values that do not fit int32 name the tensor and the element.
        Path p = withHeader("{\"big\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(bytes.length - 8, 1L << 40);
        Files.write(p, bytes);
        assertContains(expectMalformed(p).getMessage(), "tensor \"big\"", "element 1", "does not fit int32");
        // Header lengths beyond the file, or beyond the format's limit, fail before any allocation.
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        Files.write(p, b.array());
        assertContains(expectMalformed(p).getMessage(), "header length 9223372036854775807 exceeds the 8 bytes");
        b.putLong(0, -1);
        Files.write(p, b.array());
        assertContains(expectMalformed(p).getMessage(), "header length 18446744073709551615");
        Files.write(p, new byte[] {1, 2, 3});
        assertContains(expectMalformed(p).getMessage(), "header length: the file holds 3 bytes");
        // Invalid UTF-8 in the header.
        Files.write(p, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(2).put((byte) '{').put((byte) 0xC3).array());
        assertContains(expectMalformed(p).getMessage(), "not valid UTF-8");
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) assertTrue(message.contains(part), "\"" + message + "\" lacks \"" + part + "\"");
    }

    private static MalformedFileException expectMalformed(Path p) {
        try {
            Map<String, Tensor> m = Safetensors.read(p);
            fail(p + " was accepted with tensors " + m.keySet());
            return null;
        } catch (MalformedFileException e) {
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
            return e;
        } catch (IOException e) {
            throw new AssertionError("expected MalformedFileException, got " + e, e);
        }
    }

    // ---- atomic writes -----------------------------------------------------------------

    @Example
    void aWriteThatFailsMidwayLeavesTheOldFileAndNoTemporary() throws IOException {
        Path p = dir.resolve("model.safetensors");
        Map<String, Tensor> old = Map.of("w", Tensor.of(1f, 2f, 3f));
        Safetensors.write(p, old);
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> next = new LinkedHashMap<>();
        next.put("a", Tensor.of(new float[1000], 10, 100));
        next.put("b", Tensor.of(new double[] {4, 5}, 2));
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(p, next, Map.of(), name -> {
            if (name.equals("a")) throw new IOException("disk full (simulated)");
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), listDir());
        // A bad tensor name fails before anything is created.
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("__metadata__", Tensor.of(1f))));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("\uD800", Tensor.of(1f))));
        assertArrayEquals(before, Files.readAllBytes(p));
        // A successful write replaces it.
        Safetensors.write(p, next);
        assertEquals(List.of("a", "b"), List.copyOf(Safetensors.read(p).keySet()));
        assertEquals(List.of(p), listDir());
        Files.delete(p);
    }

    /** The files in the test directory other than the hand-made ones. */
    private static List<Path> listDir() throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(q -> !q.getFileName().toString().startsWith("handmade")
                    && !q.getFileName().toString().startsWith("rewritten")).sorted().toList();
        }
    }

    // ---- checkpoints -------------------------------------------------------------------

    @Property(tries = 20)
    void checkpointsRoundTripParamsAndMetadata(@ForAll long seed) throws IOException {
        Rng r = new Rng(seed);
        Params params = Params.of("0.weight", Tensor.randn(r, 4, 3), "0.bias", Tensor.randn(r, DType.FLOAT64, 4),
                "2.weight", Tensor.randn(r, 2, 4));
        Path p = dir.resolve("ckpt.safetensors");
        Checkpoint.save(p, params, Map.of("step", "" + seed, "optimizer", "adam"));
        Checkpoint c = Checkpoint.load(p);
        assertEquals(Map.of("step", "" + seed, "optimizer", "adam"), c.metadata());
        assertEquals(List.copyOf(params.names()), List.copyOf(c.params().names()));
        for (String name : params.names())
            assertArrayEquals(params.get(name).data().toDoubleArray(), c.tensors().get(name).data().toDoubleArray());
        Files.delete(p);
    }
}
