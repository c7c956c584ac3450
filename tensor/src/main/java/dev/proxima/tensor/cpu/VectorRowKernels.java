package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API row kernels. Loaded only through {@link Simd}'s reflection, so no other class
 * links against {@code jdk.incubator.vector}.
 *
 * <p>Rows with inner stride 1 run in whole vectors with a scalar tail (the scalar definition,
 * so tails agree with {@link ScalarRowKernels} exactly); a stride-0 operand is broadcast into
 * a vector once. Other strides would need gathers, which cost more than they save here, so
 * they take the scalar loops.
 *
 * <p>The elementwise loops are written once for float and once for double, each with the
 * op switch inside the loop body: C2 inlines a callee only below a bytecode size limit (35
 * bytes where it judges the call site cold when the loop is compiled), and a vector that
 * crosses a call that was not inlined is boxed on the heap, which halves the speed.
 */
public final class VectorRowKernels implements RowKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats with the lane count of a preferred double vector: they widen to one double vector. */
    private static final VectorSpecies<Float> F_AS_D =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.length() * Float.SIZE));
    private static final int FL = F.length(), DL = D.length();
    /**
     * bfloat16 bits with the lane count of a float vector and of a double vector, and the ints
     * they widen to: a bfloat16 is the upper half of a float32, so widening is a sign-extending
     * conversion to int, a shift left by 16 and a reinterpretation, all exact.
     */
    private static final VectorSpecies<Short> S_AS_F = shorts(FL), S_AS_D = shorts(DL);
    private static final VectorSpecies<Integer> I_AS_F = VectorSpecies.of(int.class, F.vectorShape()),
            I_AS_D = VectorSpecies.of(int.class, VectorShape.forBitSize(D.length() * Integer.SIZE));
    private static final RowKernels SCALAR = new ScalarRowKernels();

    public VectorRowKernels() {}

    /** Shorts in {@code lanes} lanes; null where no vector is that short (2 lanes: 32 bits), and the bfloat16 loops run the scalar ones. */
    private static VectorSpecies<Short> shorts(int lanes) {
        return lanes * Short.SIZE >= 64 ? VectorSpecies.of(short.class, VectorShape.forBitSize(lanes * Short.SIZE)) : null;
    }

    /** float32 lanes per vector on this machine. */
    public static int floatLanes() {
        return FL;
    }

    // ---- elementwise loops, one per element type -------------------------------------

    /**
     * The ops with a vector loop for this element type; the others run the scalar definition.
     * float32 transcendentals use {@link VectorMath}'s polynomials (sin and cos: trigLoop's).
     * float64 ones, erf and pow run the scalar definitions (Math.*, which the interpreter and the JIT
     * compute alike): the Vector API's own transcendental operators round differently once C2
     * replaces their fallback with SIMD library calls, which made results depend on warm-up.
     */
    private static boolean vectorizable(UnaryOp op, boolean isFloat) {
        return switch (op) {
            case GELU, ERF -> false;
            case EXP, LOG, LOG1P, EXPM1, TANH, SIGMOID, GELU_TANH, SILU, SOFTPLUS, SIN, COS -> isFloat;
            case NEG, ABS, SQRT, RSQRT, SQUARE, RECIPROCAL, RELU, SIGN -> true;
        };
    }

    /*
     * The unary loops, like the binary ones below, switch over the op inside the loop body
     * with typed vectors: see the note there on why no helper method sits between the load
     * and the store. The transcendental functions have a loop of their own: once two of them
     * were compiled into one loop with the algebraic ops, C2 boxed every vector of that loop
     * and all of its ops ran at half speed.
     */

    private static boolean algebraic(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQRT, RSQRT, SQUARE, RECIPROCAL, RELU, SIGN -> true;
            case EXP, LOG, LOG1P, EXPM1, SIN, COS, TANH, SIGMOID, GELU_TANH, SILU, SOFTPLUS, GELU, ERF -> false;
        };
    }

    private static void algebraicFloat(UnaryOp op, float[] x, int xo, float[] o, int oo, int end) {
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < end; i += FL) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            switch (op) {
                case NEG -> v.neg().intoArray(o, oo + i);
                case ABS -> v.abs().intoArray(o, oo + i);
                case SQRT -> v.lanewise(VectorOperators.SQRT).intoArray(o, oo + i);
                // A true division, not the ~12-bit hardware rsqrt estimate.
                case RSQRT -> one.div(v.lanewise(VectorOperators.SQRT)).intoArray(o, oo + i);
                case SQUARE -> v.mul(v).intoArray(o, oo + i);
                case RECIPROCAL -> one.div(v).intoArray(o, oo + i);
                // NaN stays NaN, as the scalar x <= 0 ? 0 : x.
                case RELU -> v.blend(zero, v.compare(VectorOperators.LE, 0)).intoArray(o, oo + i);
                // Math.signum keeps +-0 and NaN as they are.
                case SIGN -> v.blend(one, v.compare(VectorOperators.GT, 0)).blend(one.neg(), v.compare(VectorOperators.LT, 0))
                        .intoArray(o, oo + i);
                default -> throw new AssertionError(op + " is not algebraic");
            }
        }
    }

    /*
     * The float32 transcendentals, in two loops: one around a single VectorMath.exp call, one
     * around a single VectorMath.log call. What differs between the ops of a loop is done by
     * blends with loop-invariant masks before the call, and by a switch after it whose cases
     * are plain arithmetic ending in a store. Why: C2 inlines a call only at a site that was
     * hot when the loop was compiled, and a vector that crosses a call that was not inlined
     * is boxed; with one call per op inside a switch, tanh and log ran 3-10x slower than exp.
     * softplus and expm1 need both: the exp loop writes e into the output, then the log loop
     * reads it back from there (aux) element by element.
     */
    private static void transcendentalFloat(UnaryOp op, float[] x, int xo, float[] o, int oo, int end) {
        switch (op) {
            case EXP -> expLoop(x, xo, o, oo, end);
            case TANH, SIGMOID, SILU, GELU_TANH -> expFamily(op, x, xo, o, oo, end);
            case LOG, LOG1P -> logFamily(op, x, xo, x, xo, o, oo, end);
            case SOFTPLUS, EXPM1 -> {
                expFamily(op, x, xo, o, oo, end);
                logFamily(op, x, xo, o, oo, o, oo, end);
            }
            case SIN, COS -> trigLoop(op == UnaryOp.COS, x, xo, o, oo, end);
            default -> throw new AssertionError(op + " is not a float32 transcendental");
        }
    }

    /** 1.5 * 2^52: adding it rounds a double below 2^51 to an integer, held in the low mantissa bits. */
    private static final double TRIG_SHIFTER = 0x1.8p52;
    /** pi/2 in two parts (FreeBSD's __rem_pio2f): n * PIO2_HI is exact for the n that occur here. */
    private static final double TWO_OVER_PI = 6.36619772367581382433e-01,
            PIO2_HI = 1.57079631090164184570e+00, PIO2_LO = 1.58932547735281966916e-08;
    /** Beyond this the vector's reduction loses digits: rows with such an element take Math.sin/cos. */
    private static final float TRIG_VECTOR_LIMIT = 0x1p20f;

    /*
     * float32 sin and cos, each computed in double lanes, as FreeBSD's sinf/cosf do: x - n pi/2
     * in two parts, then the minimax polynomials of k_sinf.c / k_cosf.c on |r| <= pi/4
     * (errors below 2^-37 relative), chosen and signed by the quadrant n mod 4 (cos is sin
     * one quadrant on). Only add, mul, compare, blend and bit operations: the interpreter and
     * C2 compute the same bits, and the result is the float nearest a value within 2^-30 or
     * so of the exact one. A row with an element of magnitude past 2^20 (or infinite) runs
     * the scalar definition instead, decided before the loop so that the loop has no branch.
     */
    private static void trigLoop(boolean cos, float[] x, int xo, float[] o, int oo, int end) {
        int hl = F_AS_D.length();
        for (int i = 0; i < end; i++) { // NaN compares false and goes through the arithmetic
            if (!(Math.abs(x[xo + i]) <= TRIG_VECTOR_LIMIT) && !Float.isNaN(x[xo + i])) {
                SCALAR.unary(cos ? UnaryOp.COS : UnaryOp.SIN, x, xo, 1, o, oo, end);
                return;
            }
        }
        double shift = cos ? 1 : 0;
        VectorMask<Float> sinOnly = F_AS_D.maskAll(!cos); // (no vector-valued if: it would box)
        for (int i = 0; i < end; i += hl) {
            FloatVector vf = FloatVector.fromArray(F_AS_D, x, xo + i);
            DoubleVector v = (DoubleVector) vf.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector fn = v.mul(TWO_OVER_PI).add(TRIG_SHIFTER).sub(TRIG_SHIFTER);
            DoubleVector r = v.sub(fn.mul(PIO2_HI)).sub(fn.mul(PIO2_LO));
            // The quadrant q = n (+1 for cos) mod 4, as m = q - 4 rint(q/4) in {-2, -1, 0, 1, 2}
            // (rint by the shifter, ties to even): odd when |m| = 1, negative for q mod 4 in {2, 3}.
            DoubleVector q = fn.add(shift);
            DoubleVector m = q.sub(q.mul(0.25).add(TRIG_SHIFTER).sub(TRIG_SHIFTER).mul(4.0));
            VectorMask<Double> odd = m.abs().compare(VectorOperators.EQ, 1.0);
            VectorMask<Double> negate = m.compare(VectorOperators.EQ, -1.0).or(m.abs().compare(VectorOperators.EQ, 2.0));
            DoubleVector z = r.mul(r), w = z.mul(z);
            // k_sinf.c: r + r^3 (S1 + z S2) + r^3 z^2 (S3 + z S4)
            DoubleVector s3 = z.mul(r);
            DoubleVector sin = r.add(s3.mul(z.mul(0.0083333293858894631756).add(-0.166666666416265235595)))
                    .add(s3.mul(w).mul(z.mul(0.0000027183114939898219064).add(-0.000198393348360966317347)));
            // k_cosf.c: (1 + z C0) + w C1 + w z (C2 + z C3)
            DoubleVector cs = z.mul(-0.499999997251031003120).add(1.0).add(w.mul(0.0416666233237390631894))
                    .add(w.mul(z).mul(z.mul(0.0000243904487962774090654).add(-0.00138867637746099294692)));
            DoubleVector y = sin.blend(cs, odd);
            y = y.blend(y.neg(), negate);
            ((FloatVector) y.convertShape(VectorOperators.D2F, F_AS_D, 0))
                    .blend(vf, vf.compare(VectorOperators.EQ, 0f).and(sinOnly)) // sin keeps -0
                    .intoArray(o, oo + i);
        }
    }

    /** exp alone, the most used, without the family's blends. */
    private static void expLoop(float[] x, int xo, float[] o, int oo, int end) {
        for (int i = 0; i < end; i += FL) VectorMath.exp(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
    }

    /**
     * exp(x) (EXPM1's first pass), exp(-|x|) (SOFTPLUS's first pass), tanh, and
     * sigmoid(s) times 1 (SIGMOID), x (SILU) or x with s = 2 sqrt(2/pi) (x + 0.044715 x^3)
     * (GELU_TANH, as 0.5 (1 + tanh(s/2)) = sigmoid(s), which avoids the cancellation of
     * 1 + tanh for negative arguments). Sigmoid is 1/(1+e) or e/(1+e) with e = exp(-|s|) <= 1,
     * so neither branch overflows; tanh is an odd polynomial below |x| = 0.625 (Cephes'
     * tanhf), else (1 - e)/(1 + e) with e = exp(-2|x|), signed.
     */
    private static void expFamily(UnaryOp op, float[] x, int xo, float[] o, int oo, int end) {
        VectorMask<Float> plainArg = F.maskAll(op == UnaryOp.EXP || op == UnaryOp.EXPM1);
        VectorMask<Float> gelu = F.maskAll(op == UnaryOp.GELU_TANH), timesX = F.maskAll(op == UnaryOp.SILU || op == UnaryOp.GELU_TANH);
        float negScale = op == UnaryOp.TANH ? -2f : -1f;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < end; i += FL) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            FloatVector s = v.blend(v.mul(v).mul(v).mul(0.044715f).add(v).mul(2 * 0.79788456080286536f), gelu);
            FloatVector e = VectorMath.exp(s.abs().mul(negScale).blend(v, plainArg));
            switch (op) {
                case TANH -> {
                    FloatVector z = v.mul(v);
                    FloatVector p = z.fma(FloatVector.broadcast(F, -5.70498872745e-3f), FloatVector.broadcast(F, 2.06390887954e-2f))
                            .fma(z, FloatVector.broadcast(F, -5.37397155531e-2f)).fma(z, FloatVector.broadcast(F, 1.33314422036e-1f))
                            .fma(z, FloatVector.broadcast(F, -3.33332819422e-1f));
                    FloatVector small = p.mul(z).fma(v, v);
                    FloatVector large = one.sub(e).div(e.add(one));
                    FloatVector a = v.abs();
                    large.blend(large.neg(), v.compare(VectorOperators.LT, 0f)).blend(small, a.compare(VectorOperators.LT, 0.625f))
                            .blend(v, a.compare(VectorOperators.EQ, 0f)) // keeps -0
                            .intoArray(o, oo + i);
                }
                case SIGMOID, SILU, GELU_TANH -> {
                    // One division (1 or e over 1 + e), not 1/(1+e) then e * that: one rounding less.
                    one.blend(e, s.compare(VectorOperators.LT, 0f)).div(e.add(one)).mul(one.blend(v, timesX)).intoArray(o, oo + i);
                }
                default -> e.intoArray(o, oo + i); // EXP, EXPM1, SOFTPLUS
            }
        }
    }

    /**
     * log, log1p, and the second passes of softplus (max(x, 0) + log1p(e), e = exp(-|x|) in
     * aux) and expm1 (Kahan's (u - 1) x / ln u with u = exp(x) in aux, exact in the rounding of
     * u). log1p(t) is ln u - ((u - 1) - t)/u with u = 1 + t: the second term restores what
     * rounding u lost.
     */
    private static void logFamily(UnaryOp op, float[] x, int xo, float[] aux, int ao, float[] o, int oo, int end) {
        VectorMask<Float> ofAux = F.maskAll(op == UnaryOp.SOFTPLUS || op == UnaryOp.EXPM1);
        float plusOne = op == UnaryOp.LOG1P || op == UnaryOp.SOFTPLUS ? 1f : 0f;
        FloatVector one = FloatVector.broadcast(F, 1f), inf = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        for (int i = 0; i < end; i += FL) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            FloatVector t = v.blend(FloatVector.fromArray(F, aux, ao + i), ofAux);
            FloatVector u = t.add(plusOne);
            FloatVector l = VectorMath.logSpecials(u, VectorMath.log(u));
            switch (op) {
                case LOG -> l.intoArray(o, oo + i);
                case EXPM1 -> {
                    FloatVector um1 = u.sub(one);
                    um1.mul(v.div(l)) // x / ln u first: (u - 1) x may overflow
                            .blend(v, u.compare(VectorOperators.EQ, 1f)) // also keeps -0 and NaN
                            .blend(one.neg(), um1.compare(VectorOperators.EQ, -1f))
                            .blend(u, u.compare(VectorOperators.EQ, inf))
                            .intoArray(o, oo + i);
                }
                default -> { // LOG1P, SOFTPLUS
                    // At u = 0 (t = -1) and u = +inf the correction is 0/0 or inf/inf: ln u is the
                    // answer; at u = 1, t itself (-0 included).
                    FloatVector r = l.sub(u.sub(one).sub(t).div(u)).blend(t, u.compare(VectorOperators.EQ, 1f))
                            .blend(l, u.compare(VectorOperators.EQ, 0f).or(u.compare(VectorOperators.EQ, inf)));
                    r.add(v.max(0f)).blend(r, ofAux.not()).intoArray(o, oo + i); // softplus adds max(x, 0)
                }
            }
        }
    }

    private static void algebraicDouble(UnaryOp op, double[] x, int xo, double[] o, int oo, int end) {
        DoubleVector zero = DoubleVector.zero(D), one = DoubleVector.broadcast(D, 1);
        for (int i = 0; i < end; i += DL) {
            DoubleVector v = DoubleVector.fromArray(D, x, xo + i);
            switch (op) {
                case NEG -> v.neg().intoArray(o, oo + i);
                case ABS -> v.abs().intoArray(o, oo + i);
                case SQRT -> v.lanewise(VectorOperators.SQRT).intoArray(o, oo + i);
                // A true division, not the ~12-bit hardware rsqrt estimate.
                case RSQRT -> one.div(v.lanewise(VectorOperators.SQRT)).intoArray(o, oo + i);
                case SQUARE -> v.mul(v).intoArray(o, oo + i);
                case RECIPROCAL -> one.div(v).intoArray(o, oo + i);
                // NaN stays NaN, as the scalar x <= 0 ? 0 : x.
                case RELU -> v.blend(zero, v.compare(VectorOperators.LE, 0)).intoArray(o, oo + i);
                // Math.signum keeps +-0 and NaN as they are.
                case SIGN -> v.blend(one, v.compare(VectorOperators.GT, 0)).blend(one.neg(), v.compare(VectorOperators.LT, 0))
                        .intoArray(o, oo + i);
                default -> throw new AssertionError(op + " is not algebraic");
            }
        }
    }

    /*
     * The binary loops switch over the op inside the loop body, with typed vectors and no
     * helper method between the load and the store. A helper (generic or not) is inlined by
     * C2 only while its call site looks hot when the loop is compiled; otherwise every
     * vector crosses a real call, boxed, and the kernel runs at half speed and allocates
     * 6 bytes per element (measured on mul after add). The op is loop-invariant, so the
     * branch predictor makes the switch free.
     */

    private static void binaryFloat(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int end) {
        FloatVector ca = FloatVector.broadcast(F, a[ao]), cb = FloatVector.broadcast(F, b[bo]);
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < end; i += FL) {
            FloatVector x = as == 0 ? ca : FloatVector.fromArray(F, a, ao + i);
            FloatVector y = bs == 0 ? cb : FloatVector.fromArray(F, b, bo + i);
            switch (op) {
                case ADD -> x.add(y).intoArray(o, oo + i);
                case SUB -> x.sub(y).intoArray(o, oo + i);
                case MUL -> x.mul(y).intoArray(o, oo + i);
                case DIV -> x.div(y).intoArray(o, oo + i);
                case POW -> throw new AssertionError("pow runs the scalar definition");
                // Vector MAX/MIN follow Math.max/min: NaN propagates and -0 < +0.
                case MAXIMUM -> x.lanewise(VectorOperators.MAX, y).intoArray(o, oo + i);
                case MINIMUM -> x.lanewise(VectorOperators.MIN, y).intoArray(o, oo + i);
                case EQ -> zero.blend(one, x.compare(VectorOperators.EQ, y)).intoArray(o, oo + i);
                case NE -> zero.blend(one, x.compare(VectorOperators.NE, y)).intoArray(o, oo + i);
                case LT -> zero.blend(one, x.compare(VectorOperators.LT, y)).intoArray(o, oo + i);
                case LE -> zero.blend(one, x.compare(VectorOperators.LE, y)).intoArray(o, oo + i);
                case GT -> zero.blend(one, x.compare(VectorOperators.GT, y)).intoArray(o, oo + i);
                case GE -> zero.blend(one, x.compare(VectorOperators.GE, y)).intoArray(o, oo + i);
            }
        }
    }

    private static void binaryDouble(BinaryOp op, double[] a, int ao, int as, double[] b, int bo, int bs, double[] o, int oo, int end) {
        DoubleVector ca = DoubleVector.broadcast(D, a[ao]), cb = DoubleVector.broadcast(D, b[bo]);
        DoubleVector zero = DoubleVector.zero(D), one = DoubleVector.broadcast(D, 1.0);
        for (int i = 0; i < end; i += DL) {
            DoubleVector x = as == 0 ? ca : DoubleVector.fromArray(D, a, ao + i);
            DoubleVector y = bs == 0 ? cb : DoubleVector.fromArray(D, b, bo + i);
            switch (op) {
                case ADD -> x.add(y).intoArray(o, oo + i);
                case SUB -> x.sub(y).intoArray(o, oo + i);
                case MUL -> x.mul(y).intoArray(o, oo + i);
                case DIV -> x.div(y).intoArray(o, oo + i);
                case POW -> throw new AssertionError("pow runs the scalar definition");
                case MAXIMUM -> x.lanewise(VectorOperators.MAX, y).intoArray(o, oo + i);
                case MINIMUM -> x.lanewise(VectorOperators.MIN, y).intoArray(o, oo + i);
                case EQ -> zero.blend(one, x.compare(VectorOperators.EQ, y)).intoArray(o, oo + i);
                case NE -> zero.blend(one, x.compare(VectorOperators.NE, y)).intoArray(o, oo + i);
                case LT -> zero.blend(one, x.compare(VectorOperators.LT, y)).intoArray(o, oo + i);
                case LE -> zero.blend(one, x.compare(VectorOperators.LE, y)).intoArray(o, oo + i);
                case GT -> zero.blend(one, x.compare(VectorOperators.GT, y)).intoArray(o, oo + i);
                case GE -> zero.blend(one, x.compare(VectorOperators.GE, y)).intoArray(o, oo + i);
            }
        }
    }

    // ---- elementwise rows --------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n) {
        if (n == 0) return; // an empty array may sit at any offset, even past its storage
        if (xs == 0) {
            fill(out, oo, n, op.apply(x instanceof float[] f ? f[xo] : ((double[]) x)[xo]));
        } else if (xs != 1 || !vectorizable(op, x instanceof float[])) {
            SCALAR.unary(op, x, xo, xs, out, oo, n);
        } else if (x instanceof float[] xf) {
            float[] of = (float[]) out;
            int end = F.loopBound(n);
            if (algebraic(op)) algebraicFloat(op, xf, xo, of, oo, end);
            else transcendentalFloat(op, xf, xo, of, oo, end);
            for (int i = end; i < n; i++) of[oo + i] = (float) op.apply(xf[xo + i]);
        } else {
            double[] xd = (double[]) x, od = (double[]) out;
            int end = D.loopBound(n);
            algebraicDouble(op, xd, xo, od, oo, end);
            for (int i = end; i < n; i++) od[oo + i] = op.apply(xd[xo + i]);
        }
    }

    @Override
    public void binary(BinaryOp op, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int n) {
        if (n == 0) return; // an empty array may sit at any offset, even past its storage
        if (as == 0 && bs == 0) {
            fill(out, oo, n, op.apply(read(a, ao), read(b, bo)));
        } else if (as > 1 || bs > 1 || as < 0 || bs < 0 || op == BinaryOp.POW) { // pow: see vectorizable
            SCALAR.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        } else if (a instanceof float[] af) {
            float[] bf = (float[]) b, of = (float[]) out;
            int end = F.loopBound(n);
            binaryFloat(op, af, ao, as, bf, bo, bs, of, oo, end);
            for (int i = end; i < n; i++) of[oo + i] = (float) op.apply(af[ao + i * as], bf[bo + i * bs]);
        } else {
            double[] ad = (double[]) a, bd = (double[]) b, od = (double[]) out;
            int end = D.loopBound(n);
            binaryDouble(op, ad, ao, as, bd, bo, bs, od, oo, end);
            for (int i = end; i < n; i++) od[oo + i] = op.apply(ad[ao + i * as], bd[bo + i * bs]);
        }
    }

    private static double read(Object x, int i) {
        return ScalarRowKernels.read(x, i);
    }

    private static void fill(Object out, int oo, int n, double v) {
        if (out instanceof float[] f) java.util.Arrays.fill(f, oo, oo + n, (float) v);
        else java.util.Arrays.fill((double[]) out, oo, oo + n, v);
    }

    // ---- reductions --------------------------------------------------------------------
    //
    // Every reduction accumulates in double lanes, float32 input widened on load: a float sum
    // over millions of elements then carries the error of the float inputs alone, and PROD
    // cannot overflow in an intermediate that double would hold. Memory bandwidth, not the
    // widening, bounds these loops.

    /** Elements {@code i .. i+DL-1} of a contiguous row, as doubles. */
    private static DoubleVector load(Object x, int i) {
        if (x instanceof float[] f) return (DoubleVector) FloatVector.fromArray(F_AS_D, f, i).convertShape(VectorOperators.F2D, D, 0);
        if (x instanceof short[] h) // bfloat16 bits: widened exactly (see S_AS_F), then to double
            return (DoubleVector) ((IntVector) ShortVector.fromArray(S_AS_D, h, i).convertShape(VectorOperators.S2I, I_AS_D, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().convertShape(VectorOperators.F2D, D, 0);
        return DoubleVector.fromArray(D, (double[]) x, i);
    }

    private static DoubleVector combine(ReduceOp op, DoubleVector acc, DoubleVector v) {
        return switch (op) {
            case SUM -> acc.add(v);
            case PROD -> acc.mul(v);
            case MAX -> acc.lanewise(VectorOperators.MAX, v); // NaN propagates, as ReduceOp.combine
            case MIN -> acc.lanewise(VectorOperators.MIN, v);
        };
    }

    /*
     * Sums and products of lanes are folded below, never by reduceLanes: the Vector API
     * leaves the order of a floating-point ADD or MUL lane reduction unspecified, and the
     * Java fallback that the interpreter and C1 run adds the lanes in another order than
     * the code C2 compiles for the loop around it. A row summed before and after warm-up then
     * differed in the last bits, and so did a training run resumed from a checkpoint in a
     * fresh JVM. The lanes go through a small array and are combined there in scalar code,
     * ((t0 + t4) + (t2 + t6)) + ((t1 + t5) + (t3 + t7)) for 8 lanes: every operation is
     * exactly rounded, so every path computes the same bits. (A tree of lane-wise adds on
     * the vector shifted by slice measured 2-4x slower, on short and long softmax rows.)
     */

    /** The lanes of {@code v} combined by {@code op} in a fixed order. */
    private static double foldLanes(ReduceOp op, DoubleVector v) {
        double[] t = new double[DL];
        v.intoArray(t, 0);
        for (int h = DL / 2; h > 0; h /= 2)
            for (int i = 0; i < h; i++) t[i] = op.combine(t[i], t[i + h]);
        return t[0];
    }

    /** The sum of the lanes of {@code v} in a fixed order. */
    private static float sumLanes(FloatVector v) {
        float[] t = new float[FL];
        v.intoArray(t, 0);
        for (int h = FL / 2; h > 0; h /= 2)
            for (int i = 0; i < h; i++) t[i] += t[i + h];
        return t[0];
    }

    @Override
    public double reduce(ReduceOp op, Object x, int xo, int xs, int n) {
        if (xs == 0) return SCALAR.reduce(op, x, xo, xs, n); // a broadcast: O(1) there
        if (xs != 1 || n < 4 * DL || x instanceof short[] && S_AS_D == null) return SCALAR.reduce(op, x, xo, xs, n);
        // Four independent accumulators hide the add latency; each lane then sums n/(4*DL)
        // values, which also keeps float32 sums accurate.
        DoubleVector a0 = DoubleVector.broadcast(D, op.identity()), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int end = n - 4 * DL; i <= end; i += 4 * DL) {
            a0 = combine(op, a0, load(x, xo + i));
            a1 = combine(op, a1, load(x, xo + i + DL));
            a2 = combine(op, a2, load(x, xo + i + 2 * DL));
            a3 = combine(op, a3, load(x, xo + i + 3 * DL));
        }
        double acc = foldLanes(op, combine(op, combine(op, a0, a1), combine(op, a2, a3)));
        for (; i < n; i++) acc = op.combine(acc, read(x, xo + i));
        return acc;
    }

    @Override
    public void accumulate(ReduceOp op, double[] acc, int ao, Object x, int xo, int xs, int n, int rows, int rs) {
        if (xs != 1 || x instanceof short[] && S_AS_D == null) {
            SCALAR.accumulate(op, acc, ao, x, xo, xs, n, rows, rs);
            return;
        }
        // Four rows per pass over the accumulators: they are loaded and stored a quarter as
        // often, which is what bounds summing the rows of a matrix. The combining order per
        // element stays row by row, as in the scalar reference.
        int r = 0, end = D.loopBound(n);
        for (; r + 4 <= rows; r += 4) {
            int x0 = xo + r * rs, x1 = x0 + rs, x2 = x1 + rs, x3 = x2 + rs, i = 0;
            for (; i < end; i += DL) {
                DoubleVector v = DoubleVector.fromArray(D, acc, ao + i);
                v = combine(op, v, load(x, x0 + i));
                v = combine(op, v, load(x, x1 + i));
                v = combine(op, v, load(x, x2 + i));
                combine(op, v, load(x, x3 + i)).intoArray(acc, ao + i);
            }
            for (; i < n; i++)
                acc[ao + i] = op.combine(op.combine(op.combine(op.combine(acc[ao + i],
                        read(x, x0 + i)), read(x, x1 + i)), read(x, x2 + i)), read(x, x3 + i));
        }
        for (; r < rows; r++) {
            int x0 = xo + r * rs, i = 0;
            for (; i < end; i += DL)
                combine(op, DoubleVector.fromArray(D, acc, ao + i), load(x, x0 + i)).intoArray(acc, ao + i);
            for (; i < n; i++) acc[ao + i] = op.combine(acc[ao + i], read(x, x0 + i));
        }
    }

    // ---- bfloat16 conversions -----------------------------------------------------------

    @Override
    public void widen(short[] x, int xo, float[] out, int oo, int n) {
        int i = 0;
        if (S_AS_F != null)
            for (int end = F.loopBound(n); i < end; i += FL)
                ((IntVector) ShortVector.fromArray(S_AS_F, x, xo + i).convertShape(VectorOperators.S2I, I_AS_F, 0))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = BFloat16.toFloat(x[xo + i]);
    }

    /**
     * BFloat16.fromFloat lane-wise: adding 0x7FFF plus the lowest kept bit carries into the
     * upper half exactly when rounding to nearest-even goes up; a NaN keeps its upper half
     * with the quiet bit (0x40) set instead. The int-to-short conversion keeps the low 16 bits.
     */
    @Override
    public void narrow(float[] x, int xo, short[] out, int oo, int n) {
        int i = 0;
        if (S_AS_F != null)
            for (int end = F.loopBound(n); i < end; i += FL) {
                IntVector bits = FloatVector.fromArray(F, x, xo + i).reinterpretAsInts();
                IntVector upper = bits.lanewise(VectorOperators.LSHR, 16);
                IntVector rounded = bits.add(0x7FFF).add(upper.and(1)).lanewise(VectorOperators.LSHR, 16);
                VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
                ((ShortVector) rounded.blend(upper.or(0x40), nan).convertShape(VectorOperators.I2S, S_AS_F, 0)).intoArray(out, oo + i);
            }
        for (; i < n; i++) out[oo + i] = BFloat16.fromFloat(x[xo + i]);
    }

    // ---- softmax -----------------------------------------------------------------------

    @Override
    public void softmax(Object x, int xo, int xs, Object out, int oo, int os, int n, boolean log) {
        // float64 rows take the scalar definition: see vectorizable.
        if (xs != 1 || os != 1 || x instanceof double[]) SCALAR.softmax(x, xo, xs, out, oo, os, n, log);
        else softmax((float[]) x, xo, (float[]) out, oo, n, log);
    }

    private static void softmax(float[] x, int xo, float[] out, int oo, int n, boolean log) {
        int end = F.loopBound(n), i;
        FloatVector vm = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (i = 0; i < end; i += FL) vm = vm.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, xo + i));
        // MAX, unlike ADD, gives one answer in any order (Math.max's, NaN and -0 included), and
        // reduceLanes measured 2x faster on short rows than the fold through an array.
        float m = vm.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        if (m == Float.NEGATIVE_INFINITY) m = 0; // an all -inf row: avoid inf - inf
        // The shifted exponentials are <= 1, so a float lane sum loses nothing that matters;
        // softmax stores them and rescales, log-softmax needs only their sum.
        FloatVector vs = FloatVector.zero(F), shift = FloatVector.broadcast(F, m);
        for (i = 0; i < end; i += FL) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, xo + i).sub(shift));
            if (!log) e.intoArray(out, oo + i);
            vs = vs.add(e);
        }
        double sum = sumLanes(vs);
        for (int j = i; j < n; j++) {
            double e = Math.exp((double) x[xo + j] - m);
            if (!log) out[oo + j] = (float) e;
            sum += e;
        }
        if (log) {
            double logSum = Math.log(sum);
            // (x - m) - logSum, in this order as the scalar reference, so no digits of x - m are lost.
            FloatVector lm = FloatVector.broadcast(F, (float) logSum);
            for (i = 0; i < end; i += FL) FloatVector.fromArray(F, x, xo + i).sub(shift).sub(lm).intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = (float) (x[xo + i] - m - logSum);
        } else {
            FloatVector r = FloatVector.broadcast(F, (float) (1 / sum));
            for (i = 0; i < end; i += FL) FloatVector.fromArray(F, out, oo + i).mul(r).intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = (float) (out[oo + i] / sum);
        }
    }

    // ---- max pooling -------------------------------------------------------------------

    /** The even and the odd elements of two vectors; the windows' first columns 0, 2, 4, .... */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.makeUnzip(F, 0), ODD = VectorShuffle.makeUnzip(F, 1);
    private static final FloatVector COLUMNS = FloatVector.fromArray(F, floatLanes(0, 2), 0), ZERO = FloatVector.zero(F);

    private static float[] floatLanes(int from, int step) {
        float[] v = new float[FL];
        for (int i = 0; i < FL; i++) v[i] = from + i * step;
        return v;
    }

    /**
     * FL windows at a time: the two rows' 2·FL elements load as two vectors each (masked at a
     * row's end), split into even and odd columns by two-vector shuffles, and the scalar
     * kernel's four selections run lane-wise (same rule, same bits). On Models.cnn's pools the
     * scalar selections mispredicted: about 16 ns a window.
     */
    @Override
    public void maxPool2x2(float[] f, int base, int w, int oh, int ow, int[] out, int at) {
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w, r0 = base + top, r1 = r0 + w;
            for (int j = 0; j < ow; j += FL) {
                int m = Math.min(FL, ow - j), z = 2 * j; // windows here, and their first column
                FloatVector t0, t1, b0, b1;
                if (r1 + z + 2 * FL <= f.length) { // lanes past the row read the next one: their windows are not stored
                    t0 = FloatVector.fromArray(F, f, r0 + z); t1 = FloatVector.fromArray(F, f, r0 + z + FL);
                    b0 = FloatVector.fromArray(F, f, r1 + z); b1 = FloatVector.fromArray(F, f, r1 + z + FL);
                } else { // the array's end: zeros past the row
                    VectorMask<Float> lo = F.indexInRange(0, 2 * m), hi = F.indexInRange(FL, 2 * m);
                    t0 = FloatVector.fromArray(F, f, r0 + z, lo); t1 = FloatVector.fromArray(F, f, r0 + z + FL, hi);
                    b0 = FloatVector.fromArray(F, f, r1 + z, lo); b1 = FloatVector.fromArray(F, f, r1 + z + FL, hi);
                }
                FloatVector a = t0.rearrange(EVEN, t1), b = t0.rearrange(ODD, t1), c = b0.rearrange(EVEN, b1), d = b0.rearrange(ODD, b1);
                // the four selections, with NaN tested as x != x
                VectorMask<Float> take = b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b).andNot(a.compare(VectorOperators.NE, a)));
                FloatVector best = a.blend(b, take), k = ZERO.blend(1f, take);
                take = c.compare(VectorOperators.GT, best).or(c.compare(VectorOperators.NE, c).andNot(best.compare(VectorOperators.NE, best)));
                best = best.blend(c, take);
                k = k.blend((float) w, take);
                take = d.compare(VectorOperators.GT, best).or(d.compare(VectorOperators.NE, d).andNot(best.compare(VectorOperators.NE, best)));
                k = k.blend((float) (w + 1), take);
                // indices within a plane are below 2^24 (PoolKernels calls this only then): exact in float32
                ((IntVector) COLUMNS.add((float) (top + z)).add(k).convert(VectorOperators.F2I, 0))
                        .intoArray(out, at + i * ow + j, I_AS_F.indexInRange(0, m));
            }
        }
    }
}
