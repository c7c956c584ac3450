package dev.proxima.nn;

/** {@link BatchNorm} over {@code [N, C]} or {@code [N, C, L]} inputs (eps 1e-5, momentum 0.1 by default, as PyTorch). */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int features) {
        super(features, 1, 1e-5, 0.1);
    }

    public BatchNorm1d(int features, double eps, double momentum) {
        super(features, 1, eps, momentum);
    }
}
