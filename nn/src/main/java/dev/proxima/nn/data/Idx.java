package dev.proxima.nn.data;

import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed (recognised by the gzip
 * magic bytes, not by the file name).
 *
 * <p>An IDX file is a 4-byte magic number {@code 00 00 TT NN} (element type code, number of
 * dimensions), then {@code NN} big-endian 32-bit dimensions, then the elements in row-major
 * order, big-endian. The reader validates the magic, the type code, the number of dimensions
 * and the dimensions against the length of the data that follows <em>before</em> it allocates
 * the element buffer: a plain file's length is known; a gzip file's uncompressed length is its
 * trailer's ISIZE field (length mod 2^32, exact here because a readable payload is below
 * 2^31 bytes). A file whose length does not match its dimensions, too short or with trailing
 * bytes, is an error, never a silent partial read; every error is a
 * {@link MalformedFileException} naming the file and the field.
 */
public final class Idx {
    private Idx() {}

    /** Largest payload a Java array holds. */
    private static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;

    /** Element types with their IDX codes and sizes in bytes. */
    public enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        public final int code;
        public final int size;

        Type(int code, int size) {
            this.code = code;
            this.size = size;
        }

        static Type ofCode(int code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }

        boolean isInteger() {
            return this != FLOAT && this != DOUBLE;
        }
    }

    /**
     * The contents of one IDX file: its element type, its shape, and its elements as the raw
     * big-endian bytes of the file (for bulk conversions such as pixels to floats).
     */
    public record Data(Path file, Type type, int[] shape, byte[] raw) {
        public Data {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Number of elements. */
        public int size() {
            return raw.length / type.size;
        }

        /** The elements as ints; integer types only (unsigned bytes give 0..255). */
        public int[] toIntArray() {
            if (!type.isInteger())
                throw new IllegalStateException("Idx: " + file + " holds " + type + " elements, not integers");
            int n = size();
            int[] r = new int[n];
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN);
            switch (type) {
                case UBYTE -> { for (int i = 0; i < n; i++) r[i] = raw[i] & 0xFF; }
                case BYTE -> { for (int i = 0; i < n; i++) r[i] = raw[i]; }
                case SHORT -> { for (int i = 0; i < n; i++) r[i] = b.getShort(2 * i); }
                default -> b.asIntBuffer().get(r);
            }
            return r;
        }

        /** The elements converted to float. */
        public float[] toFloatArray() {
            int n = size();
            float[] r = new float[n];
            switch (type) {
                case FLOAT -> ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(r);
                case DOUBLE -> {
                    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN);
                    for (int i = 0; i < n; i++) r[i] = (float) b.getDouble(8 * i);
                }
                default -> {
                    int[] ints = toIntArray();
                    for (int i = 0; i < n; i++) r[i] = ints[i];
                }
            }
            return r;
        }

        /** The elements as an array: integer types as int32, FLOAT as float32, DOUBLE as float64. */
        public NDArray toNDArray() {
            Object data = switch (type) {
                case FLOAT -> toFloatArray();
                case DOUBLE -> {
                    double[] d = new double[size()];
                    ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN).asDoubleBuffer().get(d);
                    yield d;
                }
                default -> toIntArray();
            };
            return NDArray.wrap(Device.defaultDevice().backend().upload(data), shape);
        }
    }

    /** Reads an IDX file, gzip-compressed or plain. */
    public static Data read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            boolean gzip = fileSize >= 2 && (readAt(ch, 0, 2).getShort() & 0xFFFF) == 0x1F8B;
            long length; // bytes of the (uncompressed) IDX stream
            if (gzip) {
                if (fileSize < 18)
                    throw new MalformedFileException(file, "gzip: " + fileSize + " bytes is shorter than a gzip header and trailer (18)");
                length = Integer.toUnsignedLong(readAt(ch, fileSize - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()); // ISIZE
            } else {
                length = fileSize;
            }
            ch.position(0);
            InputStream raw = Channels.newInputStream(ch);
            InputStream in = gzip ? openGzip(file, raw) : new BufferedInputStream(raw, 1 << 16);
            return parse(file, in, length, gzip);
        }
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && ch.read(b, position + b.position()) >= 0) {}
        return b.flip();
    }

    private static InputStream openGzip(Path file, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16); // reads and checks the gzip header
        } catch (IOException e) {
            throw new MalformedFileException(file, "gzip header: " + e.getMessage(), e);
        }
    }

    private static Data parse(Path file, InputStream in, long length, boolean gzip) throws IOException {
        String where = gzip ? "the gzip trailer says the uncompressed stream holds " + length + " bytes (a truncated gzip file has a wrong trailer)"
                            : "the file holds " + length + " bytes";
        if (length < 4)
            throw new MalformedFileException(file, "magic number: needs 4 bytes, " + where);
        byte[] magic = readFully(file, in, 4, "magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new MalformedFileException(file, String.format(
                    "magic number: an IDX file starts with bytes 00 00, got %02x %02x", magic[0] & 0xFF, magic[1] & 0xFF));
        Type type = Type.ofCode(magic[2] & 0xFF);
        if (type == null)
            throw new MalformedFileException(file, String.format(
                    "element type code 0x%02x is not an IDX type (08 ubyte, 09 byte, 0b short, 0c int, 0d float, 0e double)", magic[2] & 0xFF));
        int ndims = magic[3] & 0xFF;
        if (ndims == 0)
            throw new MalformedFileException(file, "number of dimensions is 0; an IDX file has at least one");
        long headerBytes = 4 + 4L * ndims;
        if (length < headerBytes)
            throw new MalformedFileException(file, "dimensions: " + ndims + " dimensions need a " + headerBytes + "-byte header, " + where);
        ByteBuffer dimBytes = ByteBuffer.wrap(readFully(file, in, 4 * ndims, "dimensions")).order(ByteOrder.BIG_ENDIAN);
        int[] shape = new int[ndims];
        long payload = type.size;
        for (int i = 0; i < ndims; i++) {
            int d = dimBytes.getInt();
            if (d < 0)
                throw new MalformedFileException(file, "dimension " + i + " is " + Integer.toUnsignedString(d) + ", above 2^31 - 1");
            shape[i] = d;
            payload *= d;
            if (payload > MAX_PAYLOAD) // checked per factor, so the product never overflows a long
                throw new MalformedFileException(file, "dimensions " + Arrays.toString(Arrays.copyOf(shape, i + 1))
                        + (i + 1 < ndims ? "..." : "") + " of " + type + " need more than " + MAX_PAYLOAD + " bytes, more than one array holds");
        }
        if (headerBytes + payload != length)
            throw new MalformedFileException(file, "dimensions " + Arrays.toString(shape) + " of " + type + " ("
                    + type.size + " bytes each) need " + payload + " data bytes after the " + headerBytes + "-byte header, "
                    + where + (headerBytes + payload > length ? " (truncated?)" : " (trailing bytes)"));
        byte[] data = readFully(file, in, (int) payload, "data");
        int extra;
        try {
            extra = in.read(); // reaching the end makes GZIPInputStream verify the CRC and length
        } catch (IOException e) {
            throw new MalformedFileException(file, "end of data: " + e.getMessage(), e);
        }
        if (extra != -1)
            throw new MalformedFileException(file, "data: bytes follow the " + payload + " data bytes that dimensions "
                    + Arrays.toString(shape) + " declare (the gzip trailer's length is wrong or the stream has several members)");
        return new Data(file, type, shape, data);
    }

    private static byte[] readFully(Path file, InputStream in, int n, String field) throws IOException {
        byte[] b = new byte[n];
        int got;
        try {
            got = in.readNBytes(b, 0, n);
        } catch (IOException e) { // ZipException, EOFException from a damaged gzip stream
            throw new MalformedFileException(file, field + ": " + e.getMessage(), e);
        }
        if (got < n)
            throw new MalformedFileException(file, field + ": truncated, needs " + n + " bytes, found " + got);
        return b;
    }

    /**
     * Writes an IDX file: {@code raw} holds the elements big-endian, {@code shape}'s product
     * times the type size bytes. {@code gzip} compresses it as the MNIST distribution does.
     */
    public static void write(Path file, Type type, int[] shape, byte[] raw, boolean gzip) throws IOException {
        if (shape.length == 0 || shape.length > 255)
            throw new IllegalArgumentException("Idx.write: " + shape.length + " dimensions, IDX holds 1 to 255");
        long n = type.size;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("Idx.write: negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n != raw.length)
            throw new IllegalArgumentException("Idx.write: shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + n + " bytes, got " + raw.length);
        try (OutputStream f = Files.newOutputStream(file);
             OutputStream s = gzip ? new GZIPOutputStream(f, 1 << 16) : new BufferedOutputStream(f, 1 << 16);
             DataOutputStream out = new DataOutputStream(s)) {
            out.write(new byte[] {0, 0, (byte) type.code, (byte) shape.length});
            for (int d : shape) out.writeInt(d);
            out.write(raw);
        }
    }
}
