package dev.proxima.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.Rng;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class IdxTest {
    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("idx-test");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    /** A random valid IDX file's bytes, built by hand (not through Idx.write). */
    record Sample(Idx.Type type, int[] shape, byte[] payload, byte[] file) {}

    static Sample sample(Rng r) {
        return sample(r, 6);
    }

    static Sample sample(Rng r, int maxDim) {
        Idx.Type type = Idx.Type.values()[r.nextInt(Idx.Type.values().length)];
        int[] shape = new int[1 + r.nextInt(4)];
        long n = 1;
        for (int i = 0; i < shape.length; i++) { shape[i] = r.nextInt(maxDim); n *= shape[i]; }
        byte[] payload = new byte[(int) n * type.size];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) r.nextInt(256);
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * shape.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type.code).put((byte) shape.length);
        for (int d : shape) b.putInt(d);
        b.put(payload);
        return new Sample(type, shape, payload, b.array());
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) { g.write(bytes); }
        return bo.toByteArray();
    }

    static Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Property(tries = 200)
    void randomValidFilesReadBack(@ForAll long seed, @ForAll boolean compressed) throws IOException {
        Sample s = sample(new Rng(seed));
        Path p = file("valid.idx", compressed ? gzip(s.file()) : s.file());
        Idx.Data d = Idx.read(p);
        assertEquals(s.type(), d.type());
        assertArrayEquals(s.shape(), d.shape());
        assertArrayEquals(s.payload(), d.raw());
        // Conversions agree with a big-endian decode of the payload, element by element.
        ByteBuffer b = ByteBuffer.wrap(s.payload());
        float[] f = d.toFloatArray();
        for (int i = 0; i < d.size(); i++) {
            double expected = switch (s.type()) {
                case UBYTE -> b.get(i) & 0xFF;
                case BYTE -> b.get(i);
                case SHORT -> b.getShort(2 * i);
                case INT -> b.getInt(4 * i);
                case FLOAT -> b.getFloat(4 * i);
                case DOUBLE -> b.getDouble(8 * i);
            };
            assertEquals((float) expected, f[i], 0f, "element " + i);
            if (s.type().isInteger()) assertEquals((int) expected, d.toIntArray()[i]);
        }
        assertArrayEquals(s.shape(), d.toNDArray().shape());
    }

    @Property(tries = 20)
    void everyTruncationFailsNamingTheFile(@ForAll long seed, @ForAll boolean compressed) throws IOException {
        Sample s = sample(new Rng(seed), 4); // small files: every prefix is tried
        byte[] whole = compressed ? gzip(s.file()) : s.file();
        for (int len = 0; len < whole.length; len++) {
            expectMalformed(file("truncated.idx", Arrays.copyOf(whole, len)));
        }
    }

    @Property(tries = 150)
    void corruptedFilesFailClearlyOrReadConsistently(@ForAll long seed, @ForAll boolean compressed) throws IOException {
        Rng r = new Rng(seed);
        Sample s = sample(r);
        byte[] bytes = compressed ? gzip(s.file()) : s.file();
        int flips = 1 + r.nextInt(3);
        for (int k = 0; k < flips; k++) {
            // Corrupt mostly the header, where the fields are; sometimes anywhere.
            int at = r.nextInt(2) == 0 ? r.nextInt(Math.min(bytes.length, 4 + 4 * s.shape().length)) : r.nextInt(bytes.length);
            bytes[at] = (byte) r.nextInt(256);
        }
        Path p = file("corrupt.idx", bytes);
        try {
            Idx.Data d = Idx.read(p);
            // Accepted: it must then be a self-consistent file (the corruption kept it valid).
            long n = d.type().size;
            for (int x : d.shape()) n *= x;
            assertEquals(n, d.raw().length);
        } catch (MalformedFileException e) {
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Property(tries = 50)
    void trailingBytesAreAnError(@ForAll long seed, @ForAll boolean compressed) throws IOException {
        Rng r = new Rng(seed);
        Sample s = sample(r);
        byte[] longer = Arrays.copyOf(s.file(), s.file().length + 1 + r.nextInt(8));
        Path p = file("trailing.idx", compressed ? gzip(longer) : longer);
        MalformedFileException e = expectMalformed(p);
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    }

    @Property(tries = 20)
    void hugeDimensionsFailBeforeAllocating(@ForAll boolean compressed) throws IOException {
        // 65535 x 65535 x 65535 doubles: a reader that trusted the header would try to allocate petabytes.
        ByteBuffer b = ByteBuffer.allocate(4 + 12 + 16);
        b.put(new byte[] {0, 0, 0x0E, 3}).putInt(65535).putInt(65535).putInt(65535);
        Path p = file("huge.idx", compressed ? gzip(b.array()) : b.array());
        MalformedFileException e = expectMalformed(p);
        assertTrue(e.getMessage().contains("dimensions"), e.getMessage());
        // A dimension just large enough to be plausible still must match the file's length.
        ByteBuffer c = ByteBuffer.allocate(4 + 4 + 10);
        c.put(new byte[] {0, 0, 0x08, 1}).putInt(1_000_000_000);
        p = file("long.idx", compressed ? gzip(c.array()) : c.array());
        e = expectMalformed(p);
        assertTrue(e.getMessage().contains("1000000000 data bytes"), e.getMessage());
    }

    @Example
    void fieldsAreNamed() throws IOException {
        assertTrue(expectMalformed(file("m.idx", new byte[] {1, 0, 8, 1, 0, 0, 0, 0})).getMessage().contains("magic number"));
        assertTrue(expectMalformed(file("t.idx", new byte[] {0, 0, 7, 1, 0, 0, 0, 0})).getMessage().contains("element type code 0x07"));
        assertTrue(expectMalformed(file("n.idx", new byte[] {0, 0, 8, 0})).getMessage().contains("number of dimensions"));
        assertTrue(expectMalformed(file("d.idx", new byte[] {0, 0, 8, 2, 0, 0, 0, 1})).getMessage().contains("dimensions"));
        assertTrue(expectMalformed(file("neg.idx", new byte[] {0, 0, 8, 1, (byte) 0xFF, 0, 0, 0})).getMessage().contains("dimension 0"));
    }

    @Property(tries = 30)
    void writeThenReadIsIdentity(@ForAll long seed, @ForAll boolean compressed) throws IOException {
        Sample s = sample(new Rng(seed));
        Path p = dir.resolve("written.idx");
        Idx.write(p, s.type(), s.shape(), s.payload(), compressed);
        byte[] onDisk = Files.readAllBytes(p);
        if (!compressed) assertArrayEquals(s.file(), onDisk);
        Idx.Data d = Idx.read(p);
        assertArrayEquals(s.payload(), d.raw());
        assertArrayEquals(s.shape(), d.shape());
    }

    private static MalformedFileException expectMalformed(Path p) {
        try {
            Idx.Data d = Idx.read(p);
            fail(p + " was accepted: " + d.type() + " " + Arrays.toString(d.shape()));
            return null;
        } catch (MalformedFileException e) {
            assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
            return e;
        } catch (IOException e) {
            throw new AssertionError("expected MalformedFileException, got " + e, e);
        }
    }

    @Example
    void missingFileIsNoSuchFile() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Idx.read(dir.resolve("absent.idx")));
    }
}
