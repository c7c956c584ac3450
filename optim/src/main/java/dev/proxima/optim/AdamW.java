package dev.proxima.optim;

/**
 * AdamW: {@link Adam} with decoupled weight decay {@code p <- p * (1 - lr * weightDecay)}
 * applied before the moment update, as PyTorch's {@code torch.optim.AdamW} (default weight
 * decay 1e-2). Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
 * The rule is an {@link Adam} whose {@link Adam#decoupled()} is true.
 */
public final class AdamW {
    private AdamW() {}

    /** A builder with PyTorch's AdamW defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8, decay 1e-2). */
    public static Adam.Builder builder() {
        return new Adam.Builder(true);
    }
}
