package dev.proxima.nn.data;

import dev.proxima.autograd.Tensor;

/**
 * A batch of examples: inputs {@code x} and targets {@code y}, both with the batch as their
 * first dimension (images [B, 1, 28, 28] float32 and labels [B] int32; token ids [B, T] and
 * next tokens [B, T]).
 */
public record Batch(Tensor x, Tensor y) {
    /** Number of examples. */
    public int size() {
        return x.shape()[0];
    }
}
