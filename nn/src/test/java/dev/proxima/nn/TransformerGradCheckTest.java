package dev.proxima.nn;

import static dev.proxima.nn.ModuleGradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Order-1 and order-2 finite-difference checks of attention (with masks), positional encodings and transformer layers. */
class TransformerGradCheckTest {
    private static final Tensor PAD = Tensor.of(NDArray.of(new int[] {0, 0, 1, 0, 0, 0}, 2, 3));

    @Test
    void selfAttentionCausalAndPadded() {
        MultiheadAttention m = new MultiheadAttention(4, 2, new Rng(1));
        ModuleGradCheck.checkWith(m, List.of(randn(1, 2, 3, 4)), (p, in) -> m.apply(p, in.get(0), null, PAD, true));
    }

    @Test
    void crossAttentionPadded() {
        MultiheadAttention m = new MultiheadAttention(4, 2, new Rng(2));
        ModuleGradCheck.checkWith(m, List.of(randn(2, 2, 2, 4), randn(3, 2, 3, 4)), (p, in) -> m.apply(p, in.get(0), in.get(1), PAD, false));
    }

    @Test
    void encoderPreAndPostNorm() {
        for (boolean pre : new boolean[] {false, true}) {
            TransformerEncoderLayer layer = new TransformerEncoderLayer(4, 2, 6, 0.0, Activation.gelu(), pre, false, new Rng(3));
            ModuleGradCheck.checkWith(layer, List.of(randn(4, 2, 3, 4)), (p, in) -> layer.apply(p, in.get(0), PAD, true), false);
        }
    }

    @Test
    void decoderPreAndPostNorm() {
        for (boolean pre : new boolean[] {false, true}) {
            TransformerDecoderLayer layer = new TransformerDecoderLayer(4, 2, 6, 0.0, Activation.silu(), pre, new Rng(4));
            ModuleGradCheck.checkWith(layer, List.of(randn(5, 2, 2, 4), randn(6, 2, 3, 4)),
                    (p, in) -> layer.apply(p, in.get(0), in.get(1), null, PAD, true), false);
        }
    }

    @Test
    void positionalEncodings() {
        ModuleGradCheck.check(new Sequential(new LearnedPositionalEncoding(5, 4, new Rng(5)), new SinusoidalPositionalEncoding(5, 4),
                new Linear(4, 2, new Rng(6)), Activation.tanh()), randn(7, 2, 3, 4));
    }

    @Test
    void selfAttentionTapsTheInputAndOutputProjections() {
        MultiheadAttention m = new MultiheadAttention(4, 2, new Rng(1));
        Tapped t = m.applyTapped(m.params(), Tensor.randn(new Rng(2), 2, 3, 4));
        assertEquals(2, t.taps().size());
        assertEquals("in_proj_weight", t.taps().get(0).weight());
        assertEquals(12, t.taps().get(0).output().shape(1));
        assertEquals("out_proj.weight", t.taps().get(1).weight());
    }
}
