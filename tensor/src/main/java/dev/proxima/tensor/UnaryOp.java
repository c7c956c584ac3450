package dev.proxima.tensor;

import java.util.function.DoubleUnaryOperator;

/**
 * The elementwise unary primitives. Each constant is the one place that defines the op for
 * every backend: the scalar definition (the reference, and the fallback kernel) and the
 * OpenCL C expression in the variable {@code x} of the kernel's element type {@code T}.
 * SIMD kernels and gradient rules switch over this enum exhaustively, so a new constant
 * without a kernel or a rule does not compile.
 */
public enum UnaryOp {
    NEG(x -> -x, "-x"),
    ABS(Math::abs, "fabs(x)"),
    EXP(Math::exp, "exp(x)"),
    LOG(Math::log, "log(x)"),
    LOG1P(Math::log1p, "log1p(x)"),
    EXPM1(Math::expm1, "expm1(x)"),
    SQRT(Math::sqrt, "sqrt(x)"),
    RSQRT(x -> 1 / Math.sqrt(x), "rsqrt(x)"),
    SQUARE(x -> x * x, "x * x"),
    RECIPROCAL(x -> 1 / x, "(T)1 / x"),
    SIN(Math::sin, "sin(x)"),
    COS(Math::cos, "cos(x)"),
    TANH(Math::tanh, "tanh(x)"),
    /** Computed as exp(x)/(1+exp(x)) for negative x so that neither branch overflows. */
    SIGMOID(UnaryOp::sigmoid, "(x >= 0 ? (T)1 / ((T)1 + exp(-x)) : exp(x) / ((T)1 + exp(x)))"),
    /** NaN stays NaN, as in PyTorch. */
    RELU(x -> x <= 0 ? 0.0 : x, "(x <= 0 ? (T)0 : x)"),
    /** Exact GELU, x * Phi(x), with the Gaussian CDF through erf. */
    GELU(x -> 0.5 * x * (1 + erf(x * Constants.SQRT_HALF)), "(T)0.5 * x * ((T)1 + erf(x * (T)0.70710678118654752))"),
    /** The tanh approximation of GELU used by GPT-2 and BERT. */
    GELU_TANH(x -> 0.5 * x * (1 + Math.tanh(Constants.SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
            "(T)0.5 * x * ((T)1 + tanh((T)0.79788456080286536 * (x + (T)0.044715 * x * x * x)))"),
    SILU(x -> x * sigmoid(x), "x * (x >= 0 ? (T)1 / ((T)1 + exp(-x)) : exp(x) / ((T)1 + exp(x)))"),
    /** sign(0) = 0 and sign(NaN) = NaN, as in NumPy. */
    SIGN(Math::signum, "(isnan(x) ? x : (T)((x > 0) - (x < 0)))"),
    /** log(1 + exp(x)) written as max(x, 0) + log1p(exp(-|x|)) so it neither overflows nor loses small values. */
    SOFTPLUS(x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), "fmax(x, (T)0) + log1p(exp(-fabs(x)))"),
    ERF(UnaryOp::erf, "erf(x)");

    /** Constants the lambdas above need; a nested class because enum constants cannot read later static fields. */
    private static final class Constants {
        static final double SQRT_HALF = 0.70710678118654752;
        static final double SQRT_2_OVER_PI = 0.79788456080286536;
    }

    private final DoubleUnaryOperator fn;
    private final String openclExpression;
    private final String opName = name().toLowerCase();

    UnaryOp(DoubleUnaryOperator fn, String openclExpression) {
        this.fn = fn;
        this.openclExpression = openclExpression;
    }

    /** The scalar definition of the op, in double precision. */
    public double apply(double x) {
        return fn.applyAsDouble(x);
    }

    /** OpenCL C expression of {@code x} with element type {@code T}. */
    public String openclExpression() {
        return openclExpression;
    }

    /** Lower-case op name, as it appears in errors. */
    public String opName() {
        return opName;
    }

    static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /**
     * The error function to double precision. Uses the series
     * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)),
     * whose terms are all positive (no cancellation); beyond |x| = 6, erf is 1 to double precision.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (Double.isNaN(x)) return x;
        if (ax >= 6) return Math.copySign(1, x);
        double x2 = ax * ax;
        double term = ax, sum = ax;
        for (int n = 1; n < 200; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum, x);
    }
}
