package dev.proxima.nn;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;

/**
 * A transformer decoder layer on a target {@code [B, L, E]} and an encoder memory
 * {@code [B, S, E]}, with PyTorch's structure and names ({@code self_attn},
 * {@code multihead_attn}, {@code linear1}, {@code linear2}, {@code norm1..3}): post-norm
 * {@code x = norm1(x + sa(x)); x = norm2(x + ca(x, mem)); x = norm3(x + ff(x))}, or pre-norm
 * with each norm moved inside its residual branch. Self-attention is causal by default.
 *
 * <p>It needs two inputs, so it is called with {@link #apply(Params, Tensor, Tensor, Tensor, Tensor, boolean)}
 * or, inside a parent module, {@link #decode}; the one-input {@code forward(x)} is an error.
 */
public final class TransformerDecoderLayer extends Module {
    private final MultiheadAttention selfAttn, crossAttn;
    private final Linear linear1, linear2;
    private final LayerNorm norm1, norm2, norm3;
    private final Dropout dropout, dropout1, dropout2, dropout3;
    private final Activation activation;
    private final boolean normFirst;

    public TransformerDecoderLayer(int dModel, int heads, int dimFeedforward, double dropout, Activation activation,
                                   boolean normFirst, Rng rng) {
        selfAttn = registerChild("self_attn", new MultiheadAttention(dModel, heads, rng));
        crossAttn = registerChild("multihead_attn", new MultiheadAttention(dModel, heads, rng));
        linear1 = registerChild("linear1", new Linear(dModel, dimFeedforward, rng));
        this.dropout = registerChild("dropout", new Dropout(dropout, rng.split()));
        linear2 = registerChild("linear2", new Linear(dimFeedforward, dModel, rng));
        norm1 = registerChild("norm1", new LayerNorm(dModel));
        norm2 = registerChild("norm2", new LayerNorm(dModel));
        norm3 = registerChild("norm3", new LayerNorm(dModel));
        dropout1 = registerChild("dropout1", new Dropout(dropout, rng.split()));
        dropout2 = registerChild("dropout2", new Dropout(dropout, rng.split()));
        dropout3 = registerChild("dropout3", new Dropout(dropout, rng.split()));
        this.activation = activation;
        this.normFirst = normFirst;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        throw new UnsupportedOperationException("TransformerDecoderLayer: needs the encoder memory; call apply(params, target, memory, ...) or decode(...)");
    }

    /** The functional call: padding masks [B, L] / [B, S] nonzero at padded positions, or null. */
    public Tensor apply(Params params, Tensor target, Tensor memory, Tensor targetPadding, Tensor memoryPadding, boolean causal) {
        return decode(rootCall(params), target, memory, targetPadding, memoryPadding, causal);
    }

    public Tensor decode(Call call, Tensor x, Tensor memory, Tensor targetPadding, Tensor memoryPadding, boolean causal) {
        if (normFirst) {
            x = x.add(selfBlock(call, call.run("norm1", norm1, x), targetPadding, causal));
            x = x.add(crossBlock(call, call.run("norm2", norm2, x), memory, memoryPadding));
            return x.add(feedForward(call, call.run("norm3", norm3, x)));
        }
        x = call.run("norm1", norm1, x.add(selfBlock(call, x, targetPadding, causal)));
        x = call.run("norm2", norm2, x.add(crossBlock(call, x, memory, memoryPadding)));
        return call.run("norm3", norm3, x.add(feedForward(call, x)));
    }

    private Tensor selfBlock(Call call, Tensor x, Tensor padding, boolean causal) {
        return call.run("dropout1", dropout1, selfAttn.attend(call.child("self_attn"), x, x, padding, causal));
    }

    private Tensor crossBlock(Call call, Tensor x, Tensor memory, Tensor padding) {
        return call.run("dropout2", dropout2, crossAttn.attend(call.child("multihead_attn"), x, memory, padding, false));
    }

    private Tensor feedForward(Call call, Tensor x) {
        Tensor hidden = call.run("dropout", dropout, activation.compute(call, call.run("linear1", linear1, x)));
        return call.run("dropout3", dropout3, call.run("linear2", linear2, hidden));
    }
}
