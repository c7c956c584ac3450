package dev.proxima.nn;

import static dev.proxima.nn.FixtureHarness.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Attention (self, causal, padding, cross) and encoder/decoder layers (pre- and post-norm) against PyTorch. */
class TransformerFixtureTest {
    private static final int E = 8, H = 2;

    private static MultiheadAttention mha() {
        return new MultiheadAttention(E, H, new Rng(1));
    }

    @Test
    void selfAttentionWithAndWithoutMasks() {
        verify("mha_self", mha(), true, (m, p, b, in) -> new Module.Applied(m.apply(p, in.get("x")), b));
        verify("mha_causal", mha(), true, (m, p, b, in) -> new Module.Applied(((MultiheadAttention) m).apply(p, in.get("x"), null, null, true), b));
        verify("mha_padding", mha(), true, (m, p, b, in) -> new Module.Applied(((MultiheadAttention) m).apply(p, in.get("x"), null, in.get("pad"), false), b));
    }

    @Test
    void crossAttentionWithPadding() {
        verify("mha_cross", mha(), true, (m, p, b, in) -> new Module.Applied(((MultiheadAttention) m).apply(p, in.get("q"), in.get("kv"), in.get("pad"), false), b));
    }

    @Test
    void encoderLayers() {
        for (boolean pre : new boolean[] {false, true}) {
            TransformerEncoderLayer layer = new TransformerEncoderLayer(E, H, 16, 0.0, Activation.relu(), pre, false, new Rng(2));
            verify(pre ? "encoder_pre" : "encoder_post", layer, true,
                    (m, p, b, in) -> new Module.Applied(((TransformerEncoderLayer) m).apply(p, in.get("x"), in.get("pad"), true), b));
        }
    }

    @Test
    void decoderLayers() {
        for (boolean pre : new boolean[] {false, true}) {
            TransformerDecoderLayer layer = new TransformerDecoderLayer(E, H, 16, 0.0, Activation.gelu(), pre, new Rng(3));
            verify(pre ? "decoder_pre" : "decoder_post", layer, true,
                    (m, p, b, in) -> new Module.Applied(((TransformerDecoderLayer) m).apply(p, in.get("x"), in.get("mem"), null, in.get("pad"), true), b));
        }
    }

    @Test
    void sinusoidalTableIsTheFormula() {
        SinusoidalPositionalEncoding pe = new SinusoidalPositionalEncoding(50, 6);
        Tensor out = pe.forward(Tensor.zeros(1, 50, 6));
        double[] v = out.toDoubleArray();
        for (int p : new int[] {0, 1, 17, 49})
            for (int i = 0; i < 6; i += 2) {
                double angle = p * Math.exp(-Math.log(10000) * i / 6);
                assertEquals(Math.sin(angle), v[p * 6 + i], 1e-6);
                assertEquals(Math.cos(angle), v[p * 6 + i + 1], 1e-6);
            }
    }
}
