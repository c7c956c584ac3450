package dev.proxima.testkit;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import dev.proxima.testkit.Gen.Domain;

/**
 * The one table of where each primitive's inputs are drawn from, shared by the value suites
 * (NDArray against references), the gradient suites and the OpenCL parity suite. Two columns:
 * <ul>
 *   <li>{@code values}: the op's whole useful domain, with exact zeros and ties where the op
 *       has a kink or a tie rule (relu at 0, maximum of equal values), so value tests see them;</li>
 *   <li>{@code smooth}: a region where the op is smooth and finite differences are accurate,
 *       away from kinks, ties and singularities, for gradient checks.</li>
 * </ul>
 * The switches are exhaustive: a new op does not compile until it has a row here.
 */
public final class OpDomains {
    private OpDomains() {}

    private static final Domain WIDE = Domain.range(-10, 10);
    private static final Domain TIES = Domain.ints(-2, 2);

    public static Domain values(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, EXP, SQUARE, SIN, COS, TANH -> WIDE;
            case LOG, RSQRT -> Domain.range(1e-3, 100);
            case LOG1P -> Domain.range(-0.9, 10);
            case EXPM1, ERF -> Domain.range(-5, 5);
            case SQRT -> Domain.range(0, 100);
            case RECIPROCAL -> Domain.awayFromZero(0.1, 10);
            case SIGMOID, SILU, SOFTPLUS -> Domain.range(-30, 30);
            case RELU -> Domain.ints(-3, 3);
            case GELU, GELU_TANH -> Domain.range(-6, 6);
            case SIGN -> TIES;
        };
    }

    public static Domain smooth(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> Domain.range(0.2, 3);
            case LOG1P -> Domain.range(-0.7, 3);
            case RECIPROCAL, ABS, RELU, SIGN -> Domain.awayFromZero(0.1, 2);
            case EXP, EXPM1 -> Domain.range(-2, 2);
            case NEG, SQUARE, SIN, COS, TANH, SIGMOID, GELU, GELU_TANH, SILU, SOFTPLUS, ERF -> Domain.range(-3, 3);
        };
    }

    /** Domains of (a, b). */
    public record Pair(Domain a, Domain b) {}

    public static Pair values(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL -> new Pair(WIDE, WIDE);
            case DIV -> new Pair(WIDE, Domain.awayFromZero(0.1, 10));
            case POW -> new Pair(Domain.range(0.1, 5), Domain.range(-3, 3));
            case MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> new Pair(TIES, TIES);
        };
    }

    /**
     * Smooth regions for (a, b). Maximum, minimum and the comparisons also need a and b apart
     * from each other, which a domain cannot say: draw them with {@link Gen#distinct}.
     */
    public static Pair smooth(BinaryOp op) {
        Domain any = Domain.range(-2, 2);
        return switch (op) {
            case ADD, SUB, MUL, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> new Pair(any, any);
            case DIV -> new Pair(any, Domain.awayFromZero(0.3, 2));
            case POW -> new Pair(Domain.range(0.3, 2), any);
        };
    }

    public static Domain values(ReduceOp op) {
        return switch (op) {
            case SUM, MAX, MIN -> WIDE;
            case PROD -> Domain.range(0.5, 1.5); // products of many factors stay finite
        };
    }

    public static Domain smooth(ReduceOp op) {
        return switch (op) {
            case SUM -> Domain.range(-2, 2);
            case PROD -> Domain.range(0.5, 1.5);
            case MAX, MIN -> Domain.range(-2, 2); // ties are avoided by Gen.distinct
        };
    }
}
