package dev.proxima.nn.models;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Call;
import dev.proxima.nn.Embedding;
import dev.proxima.nn.LayerNorm;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Module;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.SinusoidalPositionalEncoding;
import dev.proxima.nn.TransformerDecoderLayer;
import dev.proxima.nn.TransformerEncoderLayer;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * An encoder-decoder transformer for sequence-to-sequence tasks (copy, reverse, sort):
 * shared token embedding scaled by √d plus sinusoidal positions, {@code layers} pre-norm
 * encoder layers over the source, {@code layers} pre-norm decoder layers (causal
 * self-attention, cross-attention to the encoder output), final norms and a linear head.
 * It takes two inputs, so it is called as {@link #apply(Params, Tensor, Tensor)} or
 * {@link #forward(Tensor, Tensor)}: INT32 source {@code [B, S]} and decoder input
 * {@code [B, T]} (the target shifted right) to logits {@code [B, T, vocab]}.
 * Children: {@code embed}, {@code pos}, {@code encoder.i}, {@code decoder.i},
 * {@code encoder_norm}, {@code decoder_norm}, {@code head}.
 */
public final class Seq2SeqTransformer extends Module {
    private final Embedding embed;
    private final SinusoidalPositionalEncoding pos;
    private final List<TransformerEncoderLayer> encoder = new ArrayList<>();
    private final List<TransformerDecoderLayer> decoder = new ArrayList<>();
    private final LayerNorm encoderNorm, decoderNorm;
    private final Linear head;
    private final double scale;

    public Seq2SeqTransformer(int vocab, int dModel, int heads, int layers, int dimFeedforward, int maxLen, double dropout, Rng rng) {
        embed = registerChild("embed", new Embedding(vocab, dModel, rng));
        pos = registerChild("pos", new SinusoidalPositionalEncoding(maxLen, dModel));
        Sequential enc = registerChild("encoder", new Sequential());
        Sequential dec = registerChild("decoder", new Sequential());
        for (int i = 0; i < layers; i++) {
            TransformerEncoderLayer e = new TransformerEncoderLayer(dModel, heads, dimFeedforward, dropout, Activation.relu(), true, false, rng);
            enc.add(e);
            encoder.add(e);
        }
        for (int i = 0; i < layers; i++) {
            TransformerDecoderLayer d = new TransformerDecoderLayer(dModel, heads, dimFeedforward, dropout, Activation.relu(), true, rng);
            dec.add(d);
            decoder.add(d);
        }
        encoderNorm = registerChild("encoder_norm", new LayerNorm(dModel));
        decoderNorm = registerChild("decoder_norm", new LayerNorm(dModel));
        head = registerChild("head", new Linear(dModel, vocab, rng));
        scale = Math.sqrt(dModel);
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        throw new UnsupportedOperationException("Seq2SeqTransformer: needs a source and a decoder input; call apply(params, source, target) or forward(source, target)");
    }

    /** Logits {@code [B, T, vocab]} for INT32 source {@code [B, S]} and decoder input {@code [B, T]}. */
    public Tensor apply(Params params, Tensor source, Tensor target) {
        return run(rootCall(params), source, target);
    }

    public Tensor forward(Tensor source, Tensor target) {
        return apply(params(), source, target);
    }

    private Tensor run(Call call, Tensor source, Tensor target) {
        Tensor memory = call.run("pos", pos, call.run("embed", embed, source).mul(scale));
        Call enc = call.child("encoder");
        for (int i = 0; i < encoder.size(); i++) memory = encoder.get(i).encode(enc.child(Integer.toString(i)), memory, null, false);
        memory = call.run("encoder_norm", encoderNorm, memory);
        Tensor x = call.run("pos", pos, call.run("embed", embed, target).mul(scale));
        Call dec = call.child("decoder");
        for (int i = 0; i < decoder.size(); i++) x = decoder.get(i).decode(dec.child(Integer.toString(i)), x, memory, null, null, true);
        return call.run("head", head, call.run("decoder_norm", decoderNorm, x));
    }
}
