package dev.proxima.nn.data;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.Arrays;

/**
 * Synthetic sequence-to-sequence tasks for an encoder-decoder: the source is a random
 * sequence of symbols, the target its copy, its reversal or its sorted version. Solving
 * REVERSE and SORT needs attention across the whole source, so they test cross-attention
 * and masks, and they are learnable in seconds.
 *
 * <p>Tokens: {@link #PAD} 0, {@link #BOS} 1, {@link #EOS} 2, symbols from 3. A batch holds
 * int32 sources {@code x} [B, maxLength] (PAD after the sequence) and targets {@code y}
 * [B, maxLength + 2] = BOS, f(source), EOS, then PAD. Teacher forcing feeds
 * {@link #decoderInput} (y without its last column) and scores against
 * {@link #decoderTarget} (y without its first). Lengths are uniform in
 * [minLength, maxLength]; example {@code i} is a pure function of (seed, i).
 */
public final class SequenceTask implements Dataset {
    public static final int PAD = 0, BOS = 1, EOS = 2, FIRST_SYMBOL = 3;

    public enum Kind { COPY, REVERSE, SORT }

    private final Kind kind;
    private final int symbols, minLength, maxLength;
    private final ArrayDataset data;

    /**
     * {@code size} examples of {@code kind} over {@code symbols} distinct symbols, lengths in
     * [minLength, maxLength], drawn from {@code seed}.
     */
    public SequenceTask(Kind kind, int size, int minLength, int maxLength, int symbols, long seed) {
        if (size < 0 || symbols < 1 || minLength < 1 || maxLength < minLength)
            throw new IllegalArgumentException("SequenceTask: need size >= 0, symbols >= 1, 1 <= minLength <= maxLength; got size "
                    + size + ", symbols " + symbols + ", lengths [" + minLength + ", " + maxLength + "]");
        this.kind = kind;
        this.symbols = symbols;
        this.minLength = minLength;
        this.maxLength = maxLength;
        int s = maxLength, t = maxLength + 2;
        int[] x = new int[Math.multiplyExact(size, s)], y = new int[Math.multiplyExact(size, t)]; // PAD = 0
        Rng root = new Rng(seed);
        for (int i = 0; i < size; i++) {
            Rng r = root.split(); // one generator per example: example i does not depend on the others' lengths
            int len = minLength + r.nextInt(maxLength - minLength + 1);
            int[] src = new int[len];
            for (int k = 0; k < len; k++) src[k] = FIRST_SYMBOL + r.nextInt(symbols);
            int[] out = apply(kind, src);
            System.arraycopy(src, 0, x, i * s, len);
            y[i * t] = BOS;
            System.arraycopy(out, 0, y, i * t + 1, len);
            y[i * t + 1 + len] = EOS;
        }
        this.data = new ArrayDataset(
                new ArrayDataset.Column(x, DType.INT32, size, new int[] {s}),
                new ArrayDataset.Column(y, DType.INT32, size, new int[] {t}));
    }

    /** The task's function on one source sequence. */
    public static int[] apply(Kind kind, int[] source) {
        int[] out = source.clone();
        switch (kind) {
            case COPY -> {}
            case REVERSE -> { for (int a = 0, b = out.length - 1; a < b; a++, b--) { int tmp = out[a]; out[a] = out[b]; out[b] = tmp; } }
            case SORT -> Arrays.sort(out);
        }
        return out;
    }

    /** Decoder input for teacher forcing: {@code y[:, :-1]} (BOS, f(source), ...). */
    public static Tensor decoderInput(Tensor y) {
        return y.slice(1, 0, y.shape()[1] - 1);
    }

    /** Decoder target for teacher forcing: {@code y[:, 1:]} (f(source), EOS, PAD...). */
    public static Tensor decoderTarget(Tensor y) {
        return y.slice(1, 1, y.shape()[1]);
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public Batch get(int[] indices) {
        return data.get(indices);
    }

    public Kind kind() { return kind; }

    /** PAD, BOS, EOS and the symbols. */
    public int vocabSize() { return FIRST_SYMBOL + symbols; }

    public int maxLength() { return maxLength; }

    public int minLength() { return minLength; }

    @Override
    public String toString() {
        return "SequenceTask(" + kind + ", " + size() + " examples, lengths " + minLength + ".." + maxLength + ", " + symbols + " symbols)";
    }
}
