package dev.proxima.tensor;

/**
 * Reductions over a set of axes. Each constant holds its identity and its combining step;
 * mean, var, std and logsumexp are compositions in {@link NDArray}. MAX and MIN propagate NaN.
 */
public enum ReduceOp {
    SUM(0.0, "acc + v"),
    PROD(1.0, "acc * v"),
    MAX(Double.NEGATIVE_INFINITY, "(isnan(v) || v > acc ? v : acc)"),
    MIN(Double.POSITIVE_INFINITY, "(isnan(v) || v < acc ? v : acc)");

    private final double identity;
    private final String openclCombine;
    private final String opName = name().toLowerCase();

    ReduceOp(double identity, String openclCombine) {
        this.identity = identity;
        this.openclCombine = openclCombine;
    }

    public double identity() {
        return identity;
    }

    /** One step of the reduction: the accumulator combined with the next value. */
    public double combine(double acc, double v) {
        return switch (this) {
            case SUM -> acc + v;
            case PROD -> acc * v;
            case MAX -> (Double.isNaN(v) || v > acc) ? v : acc;
            case MIN -> (Double.isNaN(v) || v < acc) ? v : acc;
        };
    }

    /** OpenCL C expression of the new accumulator from {@code acc} and {@code v}. */
    public String openclCombine() {
        return openclCombine;
    }

    public String opName() {
        return opName;
    }
}
