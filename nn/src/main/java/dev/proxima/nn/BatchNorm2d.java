package dev.proxima.nn;

/** {@link BatchNorm} over {@code [N, C, H, W]} inputs (eps 1e-5, momentum 0.1 by default, as PyTorch). */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int features) {
        super(features, 2, 1e-5, 0.1);
    }

    public BatchNorm2d(int features, double eps, double momentum) {
        super(features, 2, eps, momentum);
    }
}
