package dev.proxima.nn;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;

/**
 * A transformer encoder layer on {@code [B, L, E]} with PyTorch's structure and names
 * ({@code self_attn}, {@code linear1}, {@code linear2}, {@code norm1}, {@code norm2}):
 * post-norm {@code x = norm1(x + sa(x)); x = norm2(x + ff(x))}, or with {@code normFirst}
 * pre-norm {@code x = x + sa(norm1(x)); x = x + ff(norm2(x))}, where
 * {@code ff(x) = linear2(dropout(act(linear1(x))))} and dropout follows each sub-block.
 */
public final class TransformerEncoderLayer extends Module {
    private final MultiheadAttention selfAttn;
    private final Linear linear1, linear2;
    private final LayerNorm norm1, norm2;
    private final Dropout dropout, dropout1, dropout2;
    private final Activation activation;
    private final boolean normFirst, causal;

    /** ReLU feed-forward, post-norm, no causal mask (PyTorch's defaults). */
    public TransformerEncoderLayer(int dModel, int heads, int dimFeedforward, double dropout, Rng rng) {
        this(dModel, heads, dimFeedforward, dropout, Activation.relu(), false, false, rng);
    }

    /** With {@code causal}, {@link #forward(Tensor)} masks future positions (a decoder-only language model). */
    public TransformerEncoderLayer(int dModel, int heads, int dimFeedforward, double dropout, Activation activation,
                                   boolean normFirst, boolean causal, Rng rng) {
        selfAttn = registerChild("self_attn", new MultiheadAttention(dModel, heads, rng));
        linear1 = registerChild("linear1", new Linear(dModel, dimFeedforward, rng));
        this.dropout = registerChild("dropout", new Dropout(dropout, rng.split()));
        linear2 = registerChild("linear2", new Linear(dimFeedforward, dModel, rng));
        norm1 = registerChild("norm1", new LayerNorm(dModel));
        norm2 = registerChild("norm2", new LayerNorm(dModel));
        dropout1 = registerChild("dropout1", new Dropout(dropout, rng.split()));
        dropout2 = registerChild("dropout2", new Dropout(dropout, rng.split()));
        this.activation = activation;
        this.normFirst = normFirst;
        this.causal = causal;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        return encode(call, x, null, causal);
    }

    /** The functional call with masks: {@code padding [B, L]} nonzero at padded positions, or null. */
    public Tensor apply(Params params, Tensor x, Tensor padding, boolean causal) {
        return encode(rootCall(params), x, padding, causal);
    }

    public Tensor encode(Call call, Tensor x, Tensor padding, boolean causal) {
        if (normFirst) {
            x = x.add(selfAttention(call, call.run("norm1", norm1, x), padding, causal));
            return x.add(feedForward(call, call.run("norm2", norm2, x)));
        }
        x = call.run("norm1", norm1, x.add(selfAttention(call, x, padding, causal)));
        return call.run("norm2", norm2, x.add(feedForward(call, x)));
    }

    private Tensor selfAttention(Call call, Tensor x, Tensor padding, boolean causal) {
        return call.run("dropout1", dropout1, selfAttn.attend(call.child("self_attn"), x, x, padding, causal));
    }

    private Tensor feedForward(Call call, Tensor x) {
        Tensor hidden = call.run("dropout", dropout, activation.compute(call, call.run("linear1", linear1, x)));
        return call.run("dropout2", dropout2, call.run("linear2", linear2, hidden));
    }
}
