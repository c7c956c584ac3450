package dev.proxima.nn;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;

/**
 * Multi-head scaled dot-product attention over batch-first sequences {@code [B, L, E]}
 * (PyTorch's {@code nn.MultiheadAttention(E, H, batch_first=True)}, its parameter names and
 * initialization: a packed {@code in_proj_weight [3E, E]} Xavier-uniform, zero
 * {@code in_proj_bias}, and an output projection {@code out_proj} with a zero bias).
 *
 * <p>Masks: {@code causal} lets query {@code i} see keys {@code 0..i} only; a key padding mask
 * {@code [B, S]} (nonzero = padding) hides padded keys. Both become one additive mask of 0 and
 * −∞ on the scores, and the fused softmax subtracts each row's maximum, so it is stable; a
 * row with every key hidden gives NaN, as in PyTorch. No dropout on the attention weights.
 *
 * <p>Taps: the output projection is a Linear and is tapped; in self-attention the packed input
 * projection is tapped too (weight {@code in_proj_weight}); in cross-attention it is not.
 */
public final class MultiheadAttention extends Module {
    public final int embedDim, heads;
    private final boolean causal;
    private final Linear outProj;

    public MultiheadAttention(int embedDim, int heads, Rng rng) {
        this(embedDim, heads, false, rng);
    }

    /** With {@code causal}, {@link #forward(Tensor)} (self-attention) masks future positions. */
    public MultiheadAttention(int embedDim, int heads, boolean causal, Rng rng) {
        if (embedDim <= 0 || heads <= 0 || embedDim % heads != 0)
            throw new IllegalArgumentException("MultiheadAttention: embedDim " + embedDim + " must be a positive multiple of heads " + heads);
        this.embedDim = embedDim;
        this.heads = heads;
        this.causal = causal;
        registerParam("in_proj_weight", Init.xavierUniform(rng, 1, 3 * embedDim, embedDim));
        registerParam("in_proj_bias", Tensor.zeros(3 * embedDim));
        outProj = registerChild("out_proj", new Linear(embedDim, embedDim, rng));
        outProj.setParams(outProj.params().with("bias", Tensor.zeros(embedDim).requiresGrad(true)));
    }

    /** Self-attention of x (causal if constructed so), no padding. */
    @Override
    protected Tensor compute(Call call, Tensor x) {
        return attend(call, x, x, null, causal);
    }

    /** The functional call with explicit keys/values and masks: {@code kv} null means self-attention. */
    public Tensor apply(Params params, Tensor query, Tensor kv, Tensor keyPaddingMask, boolean causal) {
        return attend(rootCall(params), query, kv == null ? query : kv, keyPaddingMask, causal);
    }

    /**
     * Attention of {@code query [B, L, E]} over {@code kv [B, S, E]} (the same tensor for
     * self-attention), for use inside a parent's {@code compute} with the child's call.
     */
    public Tensor attend(Call call, Tensor query, Tensor kv, Tensor keyPaddingMask, boolean causal) {
        int e = embedDim, h = heads, d = e / h;
        if (query.ndim() != 3 || query.shape(2) != e || kv.ndim() != 3 || kv.shape(2) != e || kv.shape(0) != query.shape(0))
            throw new IllegalArgumentException("MultiheadAttention " + call.fullName("in_proj_weight") + ": query " + Shapes.str(query.shape())
                    + " and keys " + Shapes.str(kv.shape()) + " must be [B, L, " + e + "] and [B, S, " + e + "]");
        int b = query.shape(0), l = query.shape(1), s = kv.shape(1);
        Tensor w = call.param("in_proj_weight"), bias = call.param("in_proj_bias");
        Tensor q, k, v;
        if (kv == query) {
            Tensor rows = query.reshape(b * l, e);
            Tensor qkv = rows.matmul(w.mT()).add(bias);
            call.tap("in_proj_weight", "in_proj_bias", rows, qkv);
            Tensor[] parts = qkv.reshape(b, l, 3, h, d).permute(2, 0, 3, 1, 4).split(0, 1, 1, 1); // 3 x [1, B, H, L, D]
            q = parts[0].squeeze(0);
            k = parts[1].squeeze(0);
            v = parts[2].squeeze(0);
        } else {
            Tensor[] ws = w.split(0, e, 2 * e), bs = bias.split(0, e, 2 * e);
            q = query.matmul(ws[0].mT()).add(bs[0]).reshape(b, l, h, d).permute(0, 2, 1, 3);
            Tensor kvp = kv.matmul(ws[1].mT()).add(bs[1]).reshape(b, s, 2, h, d).permute(2, 0, 3, 1, 4);
            Tensor[] kvParts = kvp.split(0, 1, 1);
            k = kvParts[0].squeeze(0);
            v = kvParts[1].squeeze(0);
        }
        Tensor scores = q.matmul(k.mT()).mul(1 / Math.sqrt(d)); // [B, H, L, S]
        Tensor mask = additiveMask(b, l, s, keyPaddingMask, causal, scores);
        if (mask != null) scores = scores.add(mask);
        Tensor o = scores.softmax(-1).matmul(v).permute(0, 2, 1, 3).reshape(b, l, e);
        return call.run("out_proj", outProj, o);
    }

    /** 0 where attending is allowed, −∞ where not, as [B or 1, 1, L, S]; null when nothing is masked. */
    static Tensor additiveMask(int b, int l, int s, Tensor keyPaddingMask, boolean causal, Tensor like) {
        if (keyPaddingMask == null && !causal) return null;
        if (keyPaddingMask != null && (keyPaddingMask.ndim() != 2 || keyPaddingMask.shape(0) != b || keyPaddingMask.shape(1) != s))
            throw new IllegalArgumentException("MultiheadAttention: key padding mask " + Shapes.str(keyPaddingMask.shape()) + " must be [" + b + ", " + s + "]");
        double[] pad = keyPaddingMask == null ? null : keyPaddingMask.data().to(dev.proxima.tensor.DType.FLOAT64).toDoubleArray();
        int mb = pad == null ? 1 : b;
        double[] m = new double[mb * l * s];
        for (int bi = 0; bi < mb; bi++)
            for (int i = 0; i < l; i++)
                for (int j = 0; j < s; j++)
                    if ((causal && j > i) || (pad != null && pad[bi * s + j] != 0)) m[(bi * l + i) * s + j] = Double.NEGATIVE_INFINITY;
        return Tensor.of(NDArray.of(m, mb, 1, l, s).to(like.dtype()).to(like.device()));
    }
}
