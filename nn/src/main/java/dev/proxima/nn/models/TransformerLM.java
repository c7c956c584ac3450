package dev.proxima.nn.models;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Call;
import dev.proxima.nn.Embedding;
import dev.proxima.nn.LayerNorm;
import dev.proxima.nn.LearnedPositionalEncoding;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Module;
import dev.proxima.nn.TransformerEncoderLayer;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * A small decoder-only (GPT-style) language model: token embedding plus learned positions,
 * {@code layers} pre-norm causal transformer layers with GELU, a final LayerNorm and a linear
 * head. Input: INT32 tokens {@code [B, L]}; output: logits {@code [B, L, vocab]}.
 * Children: {@code tok}, {@code pos}, {@code blocks.0..}, {@code norm}, {@code head}.
 */
public final class TransformerLM extends Module {
    private final Embedding tok;
    private final LearnedPositionalEncoding pos;
    private final List<TransformerEncoderLayer> blocks = new ArrayList<>();
    private final Module blockList;
    private final LayerNorm norm;
    private final Linear head;

    public TransformerLM(int vocab, int dModel, int heads, int layers, int dimFeedforward, int maxLen, double dropout, Rng rng) {
        tok = registerChild("tok", new Embedding(vocab, dModel, rng));
        pos = registerChild("pos", new LearnedPositionalEncoding(maxLen, dModel, rng));
        blockList = registerChild("blocks", new Blocks());
        for (int i = 0; i < layers; i++)
            blocks.add(((Blocks) blockList).add(new TransformerEncoderLayer(dModel, heads, dimFeedforward, dropout, Activation.gelu(), true, true, rng)));
        norm = registerChild("norm", new LayerNorm(dModel));
        head = registerChild("head", new Linear(dModel, vocab, rng));
    }

    /** A named list of blocks ("0", "1", ...) whose evaluation is driven by the parent. */
    private static final class Blocks extends Module {
        private int n;

        TransformerEncoderLayer add(TransformerEncoderLayer b) {
            return registerChild(Integer.toString(n++), b);
        }

        @Override
        protected Tensor compute(Call call, Tensor x) {
            throw new UnsupportedOperationException("TransformerLM.blocks is evaluated by its parent");
        }
    }

    @Override
    protected Tensor compute(Call call, Tensor tokens) {
        Tensor x = call.run("pos", pos, call.run("tok", tok, tokens));
        Call blocksCall = call.child("blocks");
        for (int i = 0; i < blocks.size(); i++) x = blocksCall.run(Integer.toString(i), blocks.get(i), x);
        return call.run("head", head, call.run("norm", norm, x));
    }
}
