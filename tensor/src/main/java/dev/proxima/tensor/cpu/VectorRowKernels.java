package dev.proxima.tensor.cpu;

import dev.proxima.tensor.BinaryOp;
import dev.proxima.tensor.ReduceOp;
import dev.proxima.tensor.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * <p>The op definitions are written once over {@code Vector<E>} and shared by float and
 * double; only the loads and stores are per type. They are split into small methods by
 * family because C2 inlines a hot callee only below a bytecode size limit, and a vector that
 * crosses a call that was not inlined is boxed on the heap, which is ten times slower.
 */
public final class VectorRowKernels implements RowKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats with the lane count of a preferred double vector: they widen to one double vector. */
    private static final VectorSpecies<Float> F_AS_D =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.length() * Float.SIZE));
    private static final int FL = F.length(), DL = D.length();
    private static final RowKernels SCALAR = new ScalarRowKernels();

    public VectorRowKernels() {}

    /** float32 lanes per vector on this machine. */
    public static int floatLanes() {
        return FL;
    }

    // ---- op definitions over Vector<E> ------------------------------------------------

    /** False for the ops with no Vector API operator: they run the scalar definition. */
    private static boolean vectorizable(UnaryOp op) {
        return switch (op) {
            case GELU, ERF -> false; // erf has no Vector API operator
            case NEG, ABS, EXP, LOG, LOG1P, EXPM1, SQRT, RSQRT, SQUARE, RECIPROCAL, SIN, COS, TANH,
                 SIGMOID, RELU, GELU_TANH, SILU, SIGN, SOFTPLUS -> true;
        };
    }

    private static <E> Vector<E> unaryOp(UnaryOp op, Vector<E> x) {
        return switch (op) {
            case NEG, ABS, SQRT, RSQRT, SQUARE, RECIPROCAL, RELU, SIGN -> algebraic(op, x);
            case EXP, LOG, LOG1P, EXPM1, SIN, COS, TANH -> transcendental(op, x);
            case SIGMOID, GELU_TANH, SILU, SOFTPLUS -> activation(op, x);
            case GELU, ERF -> throw new AssertionError(op + " runs the scalar definition");
        };
    }

    private static <E> Vector<E> algebraic(UnaryOp op, Vector<E> x) {
        return switch (op) {
            case NEG -> x.neg();
            case ABS -> x.abs();
            case SQRT -> x.lanewise(VectorOperators.SQRT);
            // A true division, not the ~12-bit hardware rsqrt estimate.
            case RSQRT -> x.broadcast(1).div(x.lanewise(VectorOperators.SQRT));
            case SQUARE -> x.mul(x);
            case RECIPROCAL -> x.broadcast(1).div(x);
            case RELU -> x.broadcast(0).blend(x, x.compare(VectorOperators.GT, 0)); // NaN -> 0, as the scalar x > 0 ? x : 0
            // Math.signum keeps +-0 and NaN as they are.
            case SIGN -> x.blend(x.broadcast(1), x.compare(VectorOperators.GT, 0))
                    .blend(x.broadcast(-1), x.compare(VectorOperators.LT, 0));
            default -> throw new AssertionError(op);
        };
    }

    private static <E> Vector<E> transcendental(UnaryOp op, Vector<E> x) {
        return switch (op) {
            case EXP -> x.lanewise(VectorOperators.EXP);
            case LOG -> x.lanewise(VectorOperators.LOG);
            case LOG1P -> x.lanewise(VectorOperators.LOG1P);
            case EXPM1 -> x.lanewise(VectorOperators.EXPM1);
            case SIN -> x.lanewise(VectorOperators.SIN);
            case COS -> x.lanewise(VectorOperators.COS);
            case TANH -> x.lanewise(VectorOperators.TANH);
            default -> throw new AssertionError(op);
        };
    }

    private static <E> Vector<E> activation(UnaryOp op, Vector<E> x) {
        return switch (op) {
            case SIGMOID -> sigmoid(x);
            case SILU -> x.mul(sigmoid(x));
            // 0.5 (1 + tanh(u)) = sigmoid(2u): the same function without the cancellation
            // of 1 + tanh(u) for negative u, which would lose all digits of small results.
            case GELU_TANH -> {
                Vector<E> x3 = x.mul(x).mul(x);
                Vector<E> u = x.add(x3.mul(constant(x, 0.044715))).mul(constant(x, 2 * 0.79788456080286536));
                yield x.mul(sigmoid(u));
            }
            case SOFTPLUS -> x.max(x.broadcast(0)).add(x.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
            default -> throw new AssertionError(op);
        };
    }

    /** 1/(1+e) or e/(1+e) with e = exp(-|x|) <= 1, so neither branch overflows. */
    private static <E> Vector<E> sigmoid(Vector<E> x) {
        Vector<E> e = x.abs().neg().lanewise(VectorOperators.EXP);
        Vector<E> r = x.broadcast(1).div(e.add(x.broadcast(1)));
        return r.blend(e.mul(r), x.compare(VectorOperators.LT, 0));
    }

    /** A non-integral constant in the vector's own element type (Vector.broadcast takes a long). */
    @SuppressWarnings("unchecked")
    private static <E> Vector<E> constant(Vector<E> like, double c) {
        return like instanceof FloatVector f ? (Vector<E>) f.broadcast((float) c) : (Vector<E>) ((DoubleVector) like).broadcast(c);
    }

    private static <E> Vector<E> binaryOp(BinaryOp op, Vector<E> a, Vector<E> b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case POW -> a.lanewise(VectorOperators.POW, b);
            // Vector MAX/MIN follow Math.max/min: NaN propagates and -0 < +0.
            case MAXIMUM -> a.lanewise(VectorOperators.MAX, b);
            case MINIMUM -> a.lanewise(VectorOperators.MIN, b);
            case EQ, NE, LT, LE, GT, GE -> comparison(op, a, b);
        };
    }

    private static <E> Vector<E> comparison(BinaryOp op, Vector<E> a, Vector<E> b) {
        VectorMask<E> m = switch (op) {
            case EQ -> a.compare(VectorOperators.EQ, b);
            case NE -> a.compare(VectorOperators.NE, b);
            case LT -> a.compare(VectorOperators.LT, b);
            case LE -> a.compare(VectorOperators.LE, b);
            case GT -> a.compare(VectorOperators.GT, b);
            case GE -> a.compare(VectorOperators.GE, b);
            default -> throw new AssertionError(op);
        };
        return a.broadcast(0).blend(a.broadcast(1), m);
    }

    // ---- elementwise rows --------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Object x, int xo, int xs, Object out, int oo, int n) {
        if (xs == 0) {
            fill(out, oo, n, op.apply(x instanceof float[] f ? f[xo] : ((double[]) x)[xo]));
        } else if (xs != 1 || !vectorizable(op)) {
            SCALAR.unary(op, x, xo, xs, out, oo, n);
        } else if (x instanceof float[] xf) {
            float[] of = (float[]) out;
            int i = 0;
            for (int end = F.loopBound(n); i < end; i += FL)
                ((FloatVector) unaryOp(op, FloatVector.fromArray(F, xf, xo + i))).intoArray(of, oo + i);
            for (; i < n; i++) of[oo + i] = (float) op.apply(xf[xo + i]);
        } else {
            double[] xd = (double[]) x, od = (double[]) out;
            int i = 0;
            for (int end = D.loopBound(n); i < end; i += DL)
                ((DoubleVector) unaryOp(op, DoubleVector.fromArray(D, xd, xo + i))).intoArray(od, oo + i);
            for (; i < n; i++) od[oo + i] = op.apply(xd[xo + i]);
        }
    }

    @Override
    public void binary(BinaryOp op, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int n) {
        if (as == 0 && bs == 0) {
            fill(out, oo, n, op.apply(read(a, ao), read(b, bo)));
        } else if (as > 1 || bs > 1 || as < 0 || bs < 0) {
            SCALAR.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        } else if (a instanceof float[] af) {
            float[] bf = (float[]) b, of = (float[]) out;
            // A stride-0 operand is read once; its vector is loop-invariant.
            FloatVector ca = FloatVector.broadcast(F, af[ao]), cb = FloatVector.broadcast(F, bf[bo]);
            int i = 0;
            for (int end = F.loopBound(n); i < end; i += FL) {
                FloatVector va = as == 0 ? ca : FloatVector.fromArray(F, af, ao + i);
                FloatVector vb = bs == 0 ? cb : FloatVector.fromArray(F, bf, bo + i);
                ((FloatVector) binaryOp(op, va, vb)).intoArray(of, oo + i);
            }
            for (; i < n; i++) of[oo + i] = (float) op.apply(af[ao + i * as], bf[bo + i * bs]);
        } else {
            double[] ad = (double[]) a, bd = (double[]) b, od = (double[]) out;
            DoubleVector ca = DoubleVector.broadcast(D, ad[ao]), cb = DoubleVector.broadcast(D, bd[bo]);
            int i = 0;
            for (int end = D.loopBound(n); i < end; i += DL) {
                DoubleVector va = as == 0 ? ca : DoubleVector.fromArray(D, ad, ao + i);
                DoubleVector vb = bs == 0 ? cb : DoubleVector.fromArray(D, bd, bo + i);
                ((DoubleVector) binaryOp(op, va, vb)).intoArray(od, oo + i);
            }
            for (; i < n; i++) od[oo + i] = op.apply(ad[ao + i * as], bd[bo + i * bs]);
        }
    }

    private static double read(Object x, int i) {
        return x instanceof float[] f ? f[i] : ((double[]) x)[i];
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
        return x instanceof float[] f
                ? (DoubleVector) FloatVector.fromArray(F_AS_D, f, i).convertShape(VectorOperators.F2D, D, 0)
                : DoubleVector.fromArray(D, (double[]) x, i);
    }

    private static DoubleVector combine(ReduceOp op, DoubleVector acc, DoubleVector v) {
        return switch (op) {
            case SUM -> acc.add(v);
            case PROD -> acc.mul(v);
            case MAX -> acc.lanewise(VectorOperators.MAX, v); // NaN propagates, as ReduceOp.combine
            case MIN -> acc.lanewise(VectorOperators.MIN, v);
        };
    }

    private static double reduceLanes(ReduceOp op, DoubleVector v) {
        return switch (op) {
            case SUM -> v.reduceLanes(VectorOperators.ADD);
            case PROD -> v.reduceLanes(VectorOperators.MUL);
            case MAX -> v.reduceLanes(VectorOperators.MAX);
            case MIN -> v.reduceLanes(VectorOperators.MIN);
        };
    }

    @Override
    public double reduce(ReduceOp op, Object x, int xo, int xs, int n) {
        if (xs != 1 || n < 4 * DL) return SCALAR.reduce(op, x, xo, xs, n);
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
        double acc = reduceLanes(op, combine(op, combine(op, a0, a1), combine(op, a2, a3)));
        for (; i < n; i++) acc = op.combine(acc, read(x, xo + i));
        return acc;
    }

    @Override
    public void accumulate(ReduceOp op, double[] acc, int ao, Object x, int xo, int xs, int n, int rows, int rs) {
        if (xs != 1) {
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

    // ---- softmax -----------------------------------------------------------------------

    @Override
    public void softmax(Object x, int xo, int xs, Object out, int oo, int os, int n, boolean log) {
        if (xs != 1 || os != 1) SCALAR.softmax(x, xo, xs, out, oo, os, n, log);
        else if (x instanceof float[] xf) softmax(xf, xo, (float[]) out, oo, n, log);
        else softmax((double[]) x, xo, (double[]) out, oo, n, log);
    }

    private static void softmax(float[] x, int xo, float[] out, int oo, int n, boolean log) {
        int end = F.loopBound(n), i;
        FloatVector vm = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (i = 0; i < end; i += FL) vm = vm.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, xo + i));
        float m = vm.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        if (m == Float.NEGATIVE_INFINITY) m = 0; // an all -inf row: avoid inf - inf
        // The shifted exponentials are <= 1, so a float lane sum loses nothing that matters;
        // softmax stores them and rescales, log-softmax needs only their sum.
        FloatVector vs = FloatVector.zero(F), shift = FloatVector.broadcast(F, m);
        for (i = 0; i < end; i += FL) {
            FloatVector e = FloatVector.fromArray(F, x, xo + i).sub(shift).lanewise(VectorOperators.EXP);
            if (!log) e.intoArray(out, oo + i);
            vs = vs.add(e);
        }
        double sum = vs.reduceLanes(VectorOperators.ADD);
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

    private static void softmax(double[] x, int xo, double[] out, int oo, int n, boolean log) {
        int end = D.loopBound(n), i;
        DoubleVector vm = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        for (i = 0; i < end; i += DL) vm = vm.lanewise(VectorOperators.MAX, DoubleVector.fromArray(D, x, xo + i));
        double m = vm.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        if (m == Double.NEGATIVE_INFINITY) m = 0;
        DoubleVector vs = DoubleVector.zero(D), shift = DoubleVector.broadcast(D, m);
        for (i = 0; i < end; i += DL) {
            DoubleVector e = DoubleVector.fromArray(D, x, xo + i).sub(shift).lanewise(VectorOperators.EXP);
            if (!log) e.intoArray(out, oo + i);
            vs = vs.add(e);
        }
        double sum = vs.reduceLanes(VectorOperators.ADD);
        for (int j = i; j < n; j++) {
            double e = Math.exp(x[xo + j] - m);
            if (!log) out[oo + j] = e;
            sum += e;
        }
        if (log) {
            double logSum = Math.log(sum);
            DoubleVector lm = DoubleVector.broadcast(D, logSum);
            for (i = 0; i < end; i += DL) DoubleVector.fromArray(D, x, xo + i).sub(shift).sub(lm).intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = x[xo + i] - m - logSum;
        } else {
            DoubleVector r = DoubleVector.broadcast(D, 1 / sum);
            for (i = 0; i < end; i += DL) DoubleVector.fromArray(D, out, oo + i).mul(r).intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = out[oo + i] / sum;
        }
    }
}
