package dev.proxima.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen.Built;
import dev.proxima.testkit.Gen.Domain;
import dev.proxima.testkit.Gen.Layout;
import dev.proxima.testkit.Gen.LayoutPair;
import dev.proxima.testkit.Gen;
import dev.proxima.testkit.OpDomains;
import dev.proxima.testkit.Ref.Tol;
import dev.proxima.testkit.Ref;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every unary and binary primitive against a textbook reference, on random shapes, views and
 * broadcasts, in float32 and float64.
 */
class ElementwisePropertiesTest {
    /** float32: a few ulps of the result, plus an absolute floor for results near zero. */
    static final Tol F32 = new Tol(5e-6, 1e-6);
    /** float64: tight; a kernel that loses precision (naive softplus, erf to 1e-7) fails. */
    static final Tol F64 = new Tol(1e-12, 1e-14);

    static Tol tol(DType dt, boolean exact) {
        return exact ? Tol.EXACT : dt == DType.FLOAT32 ? F32 : F64;
    }

    /**
     * How to test one unary op: its input domain (from the shared table, OpDomains), its
     * reference, and whether IEEE makes it exact.
     */
    record UnarySpec(Domain domain, DoubleUnaryOperator ref, boolean exact) {
        UnarySpec(UnaryOp op, DoubleUnaryOperator ref, boolean exact) {
            this(OpDomains.values(op), ref, exact);
        }
    }

    static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    /** An exhaustive switch: a new UnaryOp does not compile until it has a reference here. */
    static UnarySpec spec(UnaryOp op) {
        return switch (op) {
            case NEG -> new UnarySpec(op, x -> -x, true);
            case ABS -> new UnarySpec(op, x -> x < 0 ? -x : x, true);
            case EXP -> new UnarySpec(op, Math::exp, false);
            case LOG -> new UnarySpec(op, Math::log, false);
            case LOG1P -> new UnarySpec(op, Math::log1p, false);
            case EXPM1 -> new UnarySpec(op, Math::expm1, false);
            // Correctly rounded in IEEE arithmetic, so exact even in float32.
            case SQRT -> new UnarySpec(op, Math::sqrt, true);
            case RSQRT -> new UnarySpec(op, x -> 1 / Math.sqrt(x), false);
            case SQUARE -> new UnarySpec(op, x -> x * x, true);
            case RECIPROCAL -> new UnarySpec(op, x -> 1 / x, true);
            case SIN -> new UnarySpec(op, Math::sin, false);
            case COS -> new UnarySpec(op, Math::cos, false);
            // (e^2x - 1) / (e^2x + 1), through expm1 so that small x keeps its digits.
            case TANH -> new UnarySpec(op, x -> {
                double e = Math.expm1(2 * Math.abs(x));
                return Math.copySign(e / (e + 2), x);
            }, false);
            case SIGMOID -> new UnarySpec(op, x -> 1 / (1 + Math.exp(-x)), false);
            case RELU -> new UnarySpec(op, x -> x > 0 ? x : 0, true);
            case GELU -> new UnarySpec(op, x -> x * Ref.phi(x), false);
            case GELU_TANH -> new UnarySpec(op, x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))), false);
            case SILU -> new UnarySpec(op, x -> x / (1 + Math.exp(-x)), false);
            case SIGN -> new UnarySpec(op, x -> x > 0 ? 1 : x < 0 ? -1 : 0, true);
            case SOFTPLUS -> new UnarySpec(op, x -> Math.log1p(Math.exp(x)), false);
            case ERF -> new UnarySpec(op, Ref::erf, false);
        };
    }

    record BinarySpec(Domain a, Domain b, DoubleBinaryOperator ref, boolean exact) {
        BinarySpec(BinaryOp op, DoubleBinaryOperator ref, boolean exact) {
            this(OpDomains.values(op).a(), OpDomains.values(op).b(), ref, exact);
        }
    }

    static BinarySpec spec(BinaryOp op) {
        return switch (op) {
            // +, -, *, / of floats computed in double and rounded once give the float result.
            case ADD -> new BinarySpec(op, (a, b) -> a + b, true);
            case SUB -> new BinarySpec(op, (a, b) -> a - b, true);
            case MUL -> new BinarySpec(op, (a, b) -> a * b, true);
            case DIV -> new BinarySpec(op, (a, b) -> a / b, true);
            case POW -> new BinarySpec(op, Math::pow, false);
            case MAXIMUM -> new BinarySpec(op, (a, b) -> a >= b ? a : b, true);
            case MINIMUM -> new BinarySpec(op, (a, b) -> a <= b ? a : b, true);
            case EQ -> new BinarySpec(op, (a, b) -> a == b ? 1 : 0, true);
            case NE -> new BinarySpec(op, (a, b) -> a != b ? 1 : 0, true);
            case LT -> new BinarySpec(op, (a, b) -> a < b ? 1 : 0, true);
            case LE -> new BinarySpec(op, (a, b) -> a <= b ? 1 : 0, true);
            case GT -> new BinarySpec(op, (a, b) -> a > b ? 1 : 0, true);
            case GE -> new BinarySpec(op, (a, b) -> a >= b ? 1 : 0, true);
        };
    }

    @Provide
    Arbitrary<Layout> layouts() {
        return Gen.layouts();
    }

    @Provide
    Arbitrary<LayoutPair> pairs() {
        return Gen.broadcastLayouts();
    }

    @Provide
    Arbitrary<Integer> rowLengths() {
        return Gen.rowLengths();
    }

    @Provide
    Arbitrary<DType> floats() {
        return Gen.floatTypes();
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Gen.seeds();
    }

    // ---- unary ------------------------------------------------------------------------------

    @Property
    void everyUnaryOpMatchesItsReferenceOnViews(@ForAll("layouts") Layout layout, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        for (UnaryOp op : UnaryOp.values()) {
            UnarySpec s = spec(op);
            Built x = layout.build(dt, s.domain(), seed);
            NDArray y = x.array().map(op);
            assertEquals(dt, y.dtype(), op + ": dtype");
            Ref.assertClose(op + " on " + layout, y, x.ref().map(s.ref()), tol(dt, s.exact()));
            // Kernels never write into their input.
            Ref.assertClose(op + " left its input alone", x.array(), x.ref(), Tol.EXACT);
        }
    }

    /** Long contiguous rows and offset rows: SIMD bodies, tails and unaligned starts. */
    @Property
    void everyUnaryOpMatchesItsReferenceOnLongRows(@ForAll("rowLengths") int n, @ForAll("floats") DType dt,
                                                   @ForAll("seeds") long seed) {
        for (UnaryOp op : UnaryOp.values()) {
            UnarySpec s = spec(op);
            Built base = new Gen.Dense(new int[] {n + 3}).build(dt, s.domain(), seed);
            int start = (int) Math.floorMod(seed, 4L);
            NDArray x = base.array().slice(0, start, start + n);
            Ref want = base.ref().slice(0, start, start + n, 1).map(s.ref());
            Ref.assertClose(op + " on a row of " + n + " from " + start, x.map(op), want, tol(dt, s.exact()));
        }
    }

    @Property
    void unaryOpOnAViewEqualsOpOnItsContiguousCopy(@ForAll("layouts") Layout layout, @ForAll("floats") DType dt,
                                                   @ForAll("seeds") long seed) {
        for (UnaryOp op : UnaryOp.values()) {
            UnarySpec s = spec(op);
            NDArray x = layout.build(dt, s.domain(), seed).array();
            NDArray copy = x.contiguous();
            assertTrue(copy.isContiguous());
            NDArray onView = x.map(op), onCopy = copy.map(op);
            // The same op may run a SIMD path on one and a strided path on the other: equal up
            // to the op's tolerance, and bitwise for the correctly rounded ones.
            Ref.assertClose(op + " view vs copy on " + layout, onView, new Ref(onCopy.shape(), onCopy.toDoubleArray()),
                    tol(dt, s.exact()));
        }
    }

    /** Far outside the comfortable range the stable formulations must not overflow into NaN. */
    @Example
    void unaryOpsAtExtremeInputs() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray x = Gen.array(new double[] {-1000, -100, -0.0, 0, 100, 1000}, dt, 6);
            assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1, 1}, x.sigmoid().toDoubleArray(), 1e-30, dt + " sigmoid");
            double ln2 = Math.log(2);
            assertArrayEquals(new double[] {0, 0, ln2, ln2, 100, 1000}, x.softplus().toDoubleArray(), 1e-7, dt + " softplus");
            assertArrayEquals(new double[] {0, 0, 0, 0, 100, 1000}, x.silu().toDoubleArray(), 1e-30, dt + " silu");
            assertArrayEquals(new double[] {0, 0, 0, 0, 100, 1000}, x.gelu().toDoubleArray(), 1e-30, dt + " gelu");
            assertArrayEquals(new double[] {0, 0, 0, 0, 100, 1000}, x.geluTanh().toDoubleArray(), 1e-30, dt + " geluTanh");
            assertArrayEquals(new double[] {-1, -1, 0, 0, 1, 1}, x.tanh().toDoubleArray(), 1e-30, dt + " tanh");
            assertArrayEquals(new double[] {-1, -1, 0, 0, 1, 1}, x.erf().toDoubleArray(), 1e-30, dt + " erf");
            assertArrayEquals(new double[] {-1, -1, 0, 0, 1, 1}, x.sign().toDoubleArray(), 0, dt + " sign");
            double[] e = x.exp().toDoubleArray();
            assertEquals(0, e[0]);
            assertEquals(Double.POSITIVE_INFINITY, e[5]);
            double[] small = Gen.array(new double[] {1e-30, -1e-30}, dt, 2).softplus().toDoubleArray();
            assertEquals(Math.log(2), small[0], 1e-7);
            // softplus(-50) = e^-50 to full relative precision: log(1 + e^x) computed naively gives 0.
            double tiny = Gen.array(new double[] {-50}, dt, 1).softplus().toDoubleArray()[0];
            assertEquals(Math.exp(-50), tiny, Math.exp(-50) * (dt == DType.FLOAT32 ? 1e-5 : 1e-12), dt + " softplus(-50)");
        }
    }

    @Example
    void nanPropagates() {
        NDArray nan = NDArray.of(Double.NaN, 1, Double.NaN), one = NDArray.of(1.0, Double.NaN, -1);
        for (UnaryOp op : UnaryOp.values()) {
            double[] r = NDArray.of(Double.NaN).map(op).toDoubleArray();
            assertTrue(Double.isNaN(r[0]), op + "(NaN) should be NaN, got " + r[0]);
        }
        // maximum/minimum propagate NaN from either side, as torch.maximum.
        assertTrue(Double.isNaN(nan.maximum(one).toDoubleArray()[0]));
        assertTrue(Double.isNaN(nan.maximum(one).toDoubleArray()[1]));
        assertTrue(Double.isNaN(nan.minimum(one).toDoubleArray()[1]));
        assertTrue(Double.isNaN(one.minimum(nan).toDoubleArray()[0]));
        // comparisons with NaN are false, != is true (IEEE)
        assertArrayEquals(new double[] {0, 1, 0}, nan.eq(nan).toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1}, nan.ne(one).toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0}, nan.lt(one).toDoubleArray());
    }

    // ---- binary -----------------------------------------------------------------------------

    @Property
    void everyBinaryOpMatchesItsReferenceUnderBroadcasting(@ForAll("pairs") LayoutPair p, @ForAll("floats") DType dt,
                                                           @ForAll("seeds") long seed) {
        for (BinaryOp op : BinaryOp.values()) {
            BinarySpec s = spec(op);
            Built a = p.a().build(dt, s.a(), seed), b = p.b().build(dt, s.b(), seed + 1);
            NDArray r = a.array().zip(op, b.array());
            assertEquals(dt, r.dtype(), op + ": dtype");
            Ref want = Ref.zip(a.ref(), b.ref(), s.ref());
            assertArrayEquals(p.out(), want.shape);
            Ref.assertClose(op + " on " + p, r, want, tol(dt, s.exact()));
        }
    }

    @Property
    void everyBinaryOpMatchesItsReferenceOnLongRows(@ForAll("rowLengths") int n, @ForAll("floats") DType dt,
                                                    @ForAll("seeds") long seed) {
        for (BinaryOp op : BinaryOp.values()) {
            BinarySpec s = spec(op);
            Built a = new Gen.Dense(new int[] {n}).build(dt, s.a(), seed);
            Built b = new Gen.Dense(new int[] {n + 1}).build(dt, s.b(), seed + 1);
            NDArray bv = b.array().slice(0, 1, n + 1); // offset by one: unaligned second operand
            Ref want = Ref.zip(a.ref(), b.ref().slice(0, 1, n + 1, 1), s.ref());
            Ref.assertClose(op + " on rows of " + n, a.array().zip(op, bv), want, tol(dt, s.exact()));
            // A scalar on either side: stride-0 operands on the vector path.
            double c = s.b().sample(new java.util.SplittableRandom(seed), dt);
            Ref.assertClose(op + " row with scalar", a.array().zip(op, a.array().scalarLike(c)),
                    a.ref().map(x -> s.ref().applyAsDouble(x, c)), tol(dt, s.exact()));
        }
    }

    /** a op b == b op a, shape and bits, for the commutative ops. */
    @Property
    void commutativeOpsCommuteUnderBroadcasting(@ForAll("pairs") LayoutPair p, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MUL, BinaryOp.MAXIMUM, BinaryOp.MINIMUM, BinaryOp.EQ, BinaryOp.NE}) {
            Domain d = spec(op).a();
            NDArray a = p.a().build(dt, d, seed).array(), b = p.b().build(dt, d, seed + 1).array();
            Ref.assertSame(op + " commutes on " + p, a.zip(op, b), b.zip(op, a));
        }
    }

    /** zip(a, b) equals zip on both operands expanded (and copied) to the broadcast shape. */
    @Property
    void broadcastingAgreesWithExpandingBoth(@ForAll("pairs") LayoutPair p, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        for (BinaryOp op : BinaryOp.values()) {
            BinarySpec s = spec(op);
            NDArray a = p.a().build(dt, s.a(), seed).array(), b = p.b().build(dt, s.b(), seed + 1).array();
            NDArray ea = a.expand(p.out()).contiguous(), eb = b.expand(p.out()).contiguous();
            NDArray want = ea.zip(op, eb), got = a.zip(op, b);
            Ref.assertClose(op + " broadcast vs expanded on " + p, got, new Ref(want.shape(), want.toDoubleArray()), tol(dt, s.exact()));
        }
    }

    /** float32 with float64 computes in float64: the float32 operand is widened exactly. */
    @Property
    void mixedFloatTypesPromoteToFloat64(@ForAll("pairs") LayoutPair p, @ForAll("seeds") long seed) {
        for (BinaryOp op : BinaryOp.values()) {
            BinarySpec s = spec(op);
            Built a = p.a().build(DType.FLOAT32, s.a(), seed), b = p.b().build(DType.FLOAT64, s.b(), seed + 1);
            NDArray ab = a.array().zip(op, b.array()), ba = b.array().zip(op, a.array());
            assertEquals(DType.FLOAT64, ab.dtype(), op + " float32 with float64");
            assertEquals(DType.FLOAT64, ba.dtype(), op + " float64 with float32");
            Ref.assertClose(op + " mixed on " + p, ab, Ref.zip(a.ref(), b.ref(), s.ref()), tol(DType.FLOAT64, s.exact()));
        }
    }

    @Property
    void whereSelectsUnderBroadcasting(@ForAll("pairs") LayoutPair p, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built a = p.a().build(dt, Domain.range(-5, 5), seed), b = p.b().build(dt, Domain.range(-5, 5), seed + 1);
        // The condition has the shape of b but its own view recipe: three-way broadcasting.
        Built c = p.b().build(DType.FLOAT32, Domain.ints(-1, 1), seed + 2);
        NDArray r = NDArray.where(c.array(), a.array(), b.array());
        Ref cond = c.ref().expand(p.out());
        Ref ea = a.ref().expand(p.out()), eb = b.ref().expand(p.out());
        double[] want = new double[ea.size()];
        for (int i = 0; i < want.length; i++) want[i] = cond.v[i] != 0 ? ea.v[i] : eb.v[i];
        Ref.assertClose("where on " + p, r, new Ref(p.out(), want), Tol.EXACT);
    }

    @Property
    void clampLimitsToTheInterval(@ForAll("layouts") Layout layout, @ForAll("floats") DType dt, @ForAll("seeds") long seed) {
        Built x = layout.build(dt, Domain.range(-10, 10), seed);
        double lo = -3.5, hi = 2.25; // representable in float32, so the bounds are exact
        Ref.assertClose("clamp on " + layout, Tensor.of(x.array()).clamp(lo, hi).data(), x.ref().map(v -> v < lo ? lo : v > hi ? hi : v), Tol.EXACT);
    }
}
