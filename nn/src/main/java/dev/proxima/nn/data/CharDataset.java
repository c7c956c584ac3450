package dev.proxima.nn.data;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.MalformedFileException;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Character-level language modelling over a UTF-8 text: the vocabulary is the text's
 * distinct code points in increasing order (token id = rank), and example {@code i} is the
 * window of {@code seqLen} tokens starting at {@code i}, with the window shifted by one as
 * its target. A batch holds int32 inputs [B, T] and int32 next-token targets [B, T].
 *
 * <p>Code points, not UTF-16 chars, so characters outside the Basic Multilingual Plane are
 * one token. {@link #split} cuts the token stream into training and validation parts that
 * share one vocabulary.
 */
public final class CharDataset implements Dataset {
    private final int[] vocabulary; // sorted code points
    private final int[] tokens;
    private final int seqLen;

    private CharDataset(int[] vocabulary, int[] tokens, int seqLen) {
        if (seqLen <= 0) throw new IllegalArgumentException("CharDataset: sequence length must be positive, got " + seqLen);
        if (tokens.length <= seqLen)
            throw new IllegalArgumentException("CharDataset: a text of " + tokens.length + " characters has no window of "
                    + seqLen + " characters plus a next one");
        this.vocabulary = vocabulary;
        this.tokens = tokens;
        this.seqLen = seqLen;
    }

    /** Windows of {@code seqLen} characters of {@code text}. */
    public static CharDataset of(String text, int seqLen) {
        int[] cps = text.codePoints().toArray();
        int[] vocab = Arrays.stream(cps).distinct().sorted().toArray();
        return new CharDataset(vocab, encodeWith(vocab, cps), seqLen);
    }

    /** Windows of {@code seqLen} characters of a UTF-8 file (a leading byte-order mark is skipped). */
    public static CharDataset fromFile(Path file, int seqLen) throws IOException {
        return of(readUtf8(file), seqLen);
    }

    /** The file decoded strictly: malformed UTF-8 is an error naming the byte offset. */
    static String readUtf8(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) r = d.flush(out);
        if (r.isError())
            throw new MalformedFileException(file, "not valid UTF-8 at byte " + in.position()
                    + (r.isMalformed() ? " (malformed sequence of " + r.length() + " bytes)" : ""));
        String s = out.flip().toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    /** Number of windows: one per start position with a next character after it. */
    @Override
    public int size() {
        return tokens.length - seqLen;
    }

    @Override
    public Batch get(int[] indices) {
        int n = indices.length, t = seqLen;
        int[] x = new int[n * t], y = new int[n * t];
        for (int k = 0; k < n; k++) {
            int i = indices[k];
            if (i < 0 || i >= size())
                throw new IndexOutOfBoundsException("get: index " + i + " outside a dataset of " + size() + " windows");
            System.arraycopy(tokens, i, x, k * t, t);
            System.arraycopy(tokens, i + 1, y, k * t, t);
        }
        return new Batch(ints(x, n, t), ints(y, n, t));
    }

    static Tensor ints(int[] v, int... shape) {
        return Tensor.of(NDArray.wrap(Device.defaultDevice().backend().upload(v), shape));
    }

    public int seqLen() {
        return seqLen;
    }

    public int vocabSize() {
        return vocabulary.length;
    }

    /** The vocabulary as a string, in token-id order. */
    public String vocabulary() {
        return new String(vocabulary, 0, vocabulary.length);
    }

    /** Number of characters (tokens) in the text. */
    public int length() {
        return tokens.length;
    }

    /** Token ids of {@code text}; a character outside the vocabulary is an error. */
    public int[] encode(String text) {
        return encodeWith(vocabulary, text.codePoints().toArray());
    }

    private static int[] encodeWith(int[] vocab, int[] cps) {
        int[] ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int id = Arrays.binarySearch(vocab, cps[i]);
            if (id < 0)
                throw new IllegalArgumentException("encode: character '" + Character.toString(cps[i]) + "' (U+"
                        + Integer.toHexString(cps[i]).toUpperCase() + ") at " + i + " is not in the vocabulary");
            ids[i] = id;
        }
        return ids;
    }

    /** The text of token ids. */
    public String decode(int... ids) {
        StringBuilder b = new StringBuilder(ids.length);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary.length)
                throw new IllegalArgumentException("decode: id " + ids[i] + " at " + i + " outside the vocabulary of " + vocabulary.length);
            b.appendCodePoint(vocabulary[ids[i]]);
        }
        return b.toString();
    }

    /** The text of an int32 tensor of token ids, row-major. */
    public String decode(Tensor ids) {
        if (ids.dtype() != DType.INT32)
            throw new IllegalArgumentException("decode: token ids must be int32, got " + ids.dtype());
        return decode(ids.data().toIntArray());
    }

    /** Training and validation parts with one vocabulary. */
    public record Split(CharDataset train, CharDataset validation) {}

    /** The first {@code trainFraction} of the characters for training, the rest for validation. */
    public Split split(double trainFraction) {
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new IllegalArgumentException("split: fraction must be in (0, 1), got " + trainFraction);
        int cut = (int) Math.round(tokens.length * trainFraction);
        return new Split(new CharDataset(vocabulary, Arrays.copyOfRange(tokens, 0, cut), seqLen),
                new CharDataset(vocabulary, Arrays.copyOfRange(tokens, cut, tokens.length), seqLen));
    }
}
