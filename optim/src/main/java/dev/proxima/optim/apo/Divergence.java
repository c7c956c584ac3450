package dev.proxima.optim.apo;

import dev.proxima.autograd.Tensor;
import java.util.Arrays;

/**
 * ρ, the discrepancy between the model's outputs after and before a step.
 *
 * <p><b>One scale convention.</b> λ_FSD is a proximal weight, an inverse step size, so it must
 * mean the same on every task. The convention here: ρ is the output-space <em>Bregman
 * divergence of the training loss</em> (the loss's own second-order change), averaged the way
 * that loss averages. Then λ_FSD = 1 weighs the function-space term exactly like the loss on
 * every task:
 * <ul>
 *   <li>{@link #KL} for a softmax cross-entropy (mean over rows): the Bregman divergence of
 *       the cross-entropy in the logits is KL(softmax(before) ‖ softmax(after));</li>
 *   <li>{@link #SQUARED_ERROR} for a mean squared error {@code mean((f − y)²)} (optim's and
 *       nn's {@code Losses.mse}): its Bregman divergence is {@code mean((after − before)²)},
 *       i.e. the same loss with the old output as the target;</li>
 *   <li>{@link #BERNOULLI_KL} for a binary cross-entropy on logits (mean over elements, as
 *       {@code Losses.bceWithLogits}): its Bregman divergence in the logits is the KL between
 *       the Bernoulli distributions, KL(Bern(σ(before)) ‖ Bern(σ(after)));</li>
 *   <li>{@link #HALF_SQUARED_ERROR} for a loss {@code ½·mean((f − y)²)}. Used with
 *       {@code Losses.mse} it halves the effective λ_FSD (λ_FSD = 1 then weighs the term like
 *       half the loss): the mismatch the APO study once had.</li>
 * </ul>
 * For a model whose loss scores only some of its outputs (a sequence model that ignores
 * padding or a prompt), {@link #klMasked} averages over the scored rows only.
 */
public enum Divergence {
    /**
     * KL(softmax(before) || softmax(after)) over the last axis, mean over the other axes: the
     * natural divergence of a classifier's (or a language model's) output distribution, and
     * the Bregman divergence of the softmax cross-entropy.
     */
    KL {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return before.klDivLogits(after);
        }
    },
    /** (after − before)², mean over every element: matched to {@code mean((f − y)²)}. */
    SQUARED_ERROR {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return after.sub(before).square().mean();
        }
    },
    /**
     * KL(Bern(σ(before)) ‖ Bern(σ(after))), mean over every element: matched to the binary
     * cross-entropy on logits. Written as the Bregman divergence of softplus (whose derivative
     * is σ), softplus(a) − softplus(b) − σ(b)·(a − b), which needs no log of a probability and
     * so stays finite for saturated logits.
     */
    BERNOULLI_KL {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return after.softplus().sub(before.softplus()).sub(before.sigmoid().mul(after.sub(before))).mean();
        }
    },
    /** ½·(after − before)², mean over every element: matched to {@code ½·mean((f − y)²)}. */
    HALF_SQUARED_ERROR {
        @Override
        public Tensor apply(Tensor after, Tensor before) {
            check(after, before);
            return after.sub(before).square().mean().mul(0.5);
        }
    };

    /** ρ(after, before), a 0-d tensor differentiable in both. */
    public abstract Tensor apply(Tensor after, Tensor before);

    /**
     * KL(softmax(before) ‖ softmax(after)) averaged over the rows a loss scores: {@code mask}
     * holds one weight per row (the shape of the outputs without their last axis; 1 scored,
     * 0 not), and the result is Σ mask·KL_row / Σ mask. Differentiable in {@code after} and
     * {@code before}; the mask is a constant.
     */
    public static Tensor klMasked(Tensor after, Tensor before, Tensor mask) {
        check(after, before);
        int[] rows = Arrays.copyOf(after.shape(), after.ndim() - 1);
        if (!Arrays.equals(mask.shape(), rows))
            throw new IllegalArgumentException("Divergence.klMasked: mask has shape " + Arrays.toString(mask.shape())
                    + " but the outputs " + Arrays.toString(after.shape()) + " have rows " + Arrays.toString(rows));
        Tensor w = mask.detach().to(after.dtype());
        double scored = w.sum().item();
        if (!(scored > 0)) throw new IllegalArgumentException("Divergence.klMasked: the mask scores no row");
        return klRows(after, before).mul(w).sum().div(scored);
    }

    /** KL per row: the outputs' shape without the last (class) axis. */
    private static Tensor klRows(Tensor after, Tensor before) {
        Tensor logP = before.logSoftmax(-1), logQ = after.logSoftmax(-1);
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {after.ndim() - 1}, false);
    }

    private static void check(Tensor after, Tensor before) {
        if (!Arrays.equals(after.shape(), before.shape()))
            throw new IllegalArgumentException("Divergence: outputs after and before the step have shapes "
                    + Arrays.toString(after.shape()) + " and " + Arrays.toString(before.shape()));
    }
}
