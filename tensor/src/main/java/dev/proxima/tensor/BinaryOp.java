package dev.proxima.tensor;

import java.util.function.DoubleBinaryOperator;

/**
 * The elementwise binary primitives, on operands already broadcast to one shape. As with
 * {@link UnaryOp}, each constant holds the scalar definition and the OpenCL C expression in
 * {@code a} and {@code b}. Comparisons yield 1 or 0 in the operands' floating type (a mask
 * that multiplies and feeds {@code where} directly).
 */
public enum BinaryOp {
    ADD((a, b) -> a + b, "a + b"),
    SUB((a, b) -> a - b, "a - b"),
    MUL((a, b) -> a * b, "a * b"),
    DIV((a, b) -> a / b, "a / b"),
    /**
     * C's pow, which PyTorch and OpenCL follow: a base of 1 gives 1 whatever the exponent (NaN
     * too), and −1 to ±∞ gives 1, where {@code Math.pow} answers NaN.
     */
    POW(BinaryOp::pow, "pow(a, b)"),
    /** NaN-propagating, as torch.maximum. */
    MAXIMUM(Math::max, "(isnan(a) || a > b ? a : b)"),
    MINIMUM(Math::min, "(isnan(a) || a < b ? a : b)"),
    EQ((a, b) -> a == b ? 1 : 0, "(T)(a == b)"),
    NE((a, b) -> a != b ? 1 : 0, "(T)(a != b)"),
    LT((a, b) -> a < b ? 1 : 0, "(T)(a < b)"),
    LE((a, b) -> a <= b ? 1 : 0, "(T)(a <= b)"),
    GT((a, b) -> a > b ? 1 : 0, "(T)(a > b)"),
    GE((a, b) -> a >= b ? 1 : 0, "(T)(a >= b)");

    private final DoubleBinaryOperator fn;
    private final String openclExpression;
    private final String opName = name().toLowerCase();

    BinaryOp(DoubleBinaryOperator fn, String openclExpression) {
        this.fn = fn;
        this.openclExpression = openclExpression;
    }

    private static double pow(double a, double b) {
        return a == 1 || (a == -1 && Double.isInfinite(b)) ? 1 : Math.pow(a, b);
    }

    public double apply(double a, double b) {
        return fn.applyAsDouble(a, b);
    }

    public String openclExpression() {
        return openclExpression;
    }

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }

    public String opName() {
        return opName;
    }
}
