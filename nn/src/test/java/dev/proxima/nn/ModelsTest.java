package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.models.Models;
import dev.proxima.nn.models.TransformerLM;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The model factories: shapes, sizes, seeds, and a language model that can learn. */
class ModelsTest {
    @Test
    void mlpSizeAndShape() {
        Sequential m = Models.mlp(1, 784, 1024, 1024, 10);
        assertEquals(784L * 1024 + 1024 + 1024L * 1024 + 1024 + 1024L * 10 + 10, m.params().numel());
        assertArrayEquals(new int[] {3, 10}, m.forward(Tensor.zeros(3, 784)).shape());
    }

    @Test
    void cnnAndAutoencoderShapes() {
        Sequential cnn = Models.cnn(1);
        assertArrayEquals(new int[] {2, 10}, cnn.forward(Tensor.randn(new Rng(1), 2, 1, 28, 28)).shape());
        assertEquals(6, cnn.buffers().size()); // two BatchNorms: running_mean, running_var, num_batches_tracked
        Sequential ae = Models.autoencoder(1, 20, 8, 3);
        assertArrayEquals(new int[] {5, 20}, ae.forward(Tensor.zeros(5, 20)).shape());
        assertEquals(6, ae.size()); // 20-8 relu 8-3 | 3-8 relu 8-20
    }

    @Test
    void sameSeedSameWeights() {
        Params a = Models.cnn(5).params(), b = Models.cnn(5).params();
        for (String n : a.names()) assertArrayEquals(a.get(n).toDoubleArray(), b.get(n).toDoubleArray(), 0.0, n);
    }

    @Test
    void transformerLanguageModelLearnsARepeatingSequence() {
        TransformerLM lm = Models.transformer(3, 7, 16, 2, 2, 32, 12);
        int[] seq = new int[24];
        for (int i = 0; i < seq.length; i++) seq[i] = (i * 3) % 7;
        Tensor tokens = Tensor.of(NDArray.of(java.util.Arrays.copyOf(seq, 12), 2, 6));
        int[] next = new int[12];
        for (int i = 0; i < 12; i++) next[i] = seq[(i % 6) + 1 + (i / 6) * 6];
        Tensor targets = Tensor.of(NDArray.of(next, 12));
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            Tensor loss = Losses.crossEntropy(lm.forward(tokens).reshape(12, 7), targets);
            if (step == 0) first = loss.item();
            last = loss.item();
            Params g = Autograd.grad(loss, lm.params());
            try (var ignored = Autograd.noGrad()) {
                lm.setParams(lm.params().zip(g, (p, gi) -> p.sub(gi.mul(0.1))).requiresGrad());
            }
        }
        assertArrayEquals(new int[] {2, 6, 7}, lm.forward(tokens).shape());
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }

    @Test
    void seq2seqTransformerLearnsToReverse() {
        dev.proxima.nn.models.Seq2SeqTransformer m = Models.seq2seq(4, 6, 16, 2, 1, 32, 8);
        // Tokens 2..5 are symbols, 1 is the start token: target = reversed source.
        int b = 8, s = 4;
        Rng rng = new Rng(5);
        int[] src = new int[b * s], dec = new int[b * s], tgt = new int[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) src[i * s + j] = 2 + rng.nextInt(4);
            for (int j = 0; j < s; j++) tgt[i * s + j] = src[i * s + s - 1 - j];
            dec[i * s] = 1;
            for (int j = 1; j < s; j++) dec[i * s + j] = tgt[i * s + j - 1];
        }
        Tensor source = Tensor.of(NDArray.of(src, b, s)), input = Tensor.of(NDArray.of(dec, b, s)), target = Tensor.of(NDArray.of(tgt, b * s));
        double first = 0, last = 0;
        for (int step = 0; step < 250; step++) {
            Tensor loss = Losses.crossEntropy(m.forward(source, input).reshape(b * s, 6), target);
            if (step == 0) first = loss.item();
            last = loss.item();
            Params g = Autograd.grad(loss, m.params());
            try (var ignored = Autograd.noGrad()) {
                m.setParams(m.params().zip(g, (p, gi) -> p.sub(gi.mul(0.1))).requiresGrad());
            }
        }
        System.out.printf("seq2seq reverse: loss %.3f -> %.3f%n", first, last);
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }
}
