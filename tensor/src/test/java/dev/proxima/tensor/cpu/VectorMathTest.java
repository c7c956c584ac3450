package dev.proxima.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.UnaryOp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The float32 vector transcendentals: accurate to 2 ulp (3 for compositions) against the correctly rounded
 * double-precision definition, and bit-identical whether the interpreter, C1 or C2 runs them
 * (which the Vector API's own EXP/TANH operators were not).
 */
class VectorMathTest {
    private static final RowKernels VEC = new VectorRowKernels();
    /** The float32 ops with a polynomial vector loop. */
    static final UnaryOp[] OPS = {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.LOG1P, UnaryOp.EXPM1, UnaryOp.TANH,
            UnaryOp.SIGMOID, UnaryOp.SILU, UnaryOp.SOFTPLUS, UnaryOp.GELU_TANH, UnaryOp.SIN, UnaryOp.COS};

    /** Any float: random bit patterns (every binade, subnormals, specials) and ordinary magnitudes. */
    @Provide
    Arbitrary<Float> floats() {
        return Arbitraries.oneOf(
                Arbitraries.integers().map(Float::intBitsToFloat),
                Arbitraries.floats().between(-100, 100),
                Arbitraries.floats().between(-1, 1),
                Arbitraries.of(0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                        88.72283f, 88.72284f, -87.33655f, -103.97208f, -104f, 0.625f, -0.625f, 0.70710677f, 1e-8f,
                        3.1415927f, -3.1415927f, 1.5707964f, 0x1p20f, 0x1.00002p20f, 1e6f, 355f, 6.2831855f),
                // near multiples of pi/2 below the vector path's limit, where sin or cos is tiny
                Arbitraries.integers().between(-600_000, 600_000).map(k -> (float) (k * Math.PI / 2)),
                Arbitraries.floats().between(-0x1p20f, 0x1p20f));
    }

    @Property(tries = 3000)
    void withinAFewUlpOfTheDefinition(@ForAll("floats") float x) {
        float[] in = new float[VectorMath.F.length()];
        java.util.Arrays.fill(in, x);
        float[] out = new float[in.length];
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.LOG1P, UnaryOp.EXPM1, UnaryOp.TANH,
                UnaryOp.SIGMOID, UnaryOp.SILU, UnaryOp.SOFTPLUS, UnaryOp.SIN, UnaryOp.COS}) {
            VEC.unary(op, in, 0, 1, out, 0, in.length); // one whole vector: no scalar tail
            float want = (float) op.apply(x), got = out[0];
            String what = op + "(" + x + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + "): got " + got + ", want " + want;
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0) {
                assertEquals(want, got, what); // specials and zeros exactly (0 and -0 alike)
                continue;
            }
            // Against the float nearest the exact value: 2 ulp. A subnormal result has fewer
            // digits than its inputs, and silu's x * sigmoid(x) scales the subnormal
            // sigmoid's rounding by |x| (also when the product is normal again, below x = -87):
            // there 2 * 2^-149 * max(1, |x|).
            boolean subnormalStep = Math.abs(want) <= Float.MIN_NORMAL
                    || (op == UnaryOp.SILU && UnaryOp.SIGMOID.apply(x) <= Float.MIN_NORMAL);
            // exp, log, tanh and sigmoid: 2 ulp; the products and sums built on them (silu,
            // softplus, log1p, expm1) add one rounding: 3 ulp.
            int ulps = op == UnaryOp.EXP || op == UnaryOp.LOG || op == UnaryOp.TANH || op == UnaryOp.SIGMOID
                    || op == UnaryOp.SIN || op == UnaryOp.COS ? 2 : 3;
            double tolerance = subnormalStep
                    ? 2 * Float.MIN_VALUE * Math.max(1, Math.abs(x)) : ulps * Math.ulp(want);
            assertTrue(Math.abs((double) got - want) <= tolerance, what);
        }
    }

    /** The kernels' bits on a fixed input, every op, as hex lines (shared with {@link KernelBits}). */
    static List<String> bits() {
        float[] x = new float[1000 + 7]; // whole vectors plus a scalar tail
        Random r = new Random(42);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 30 : 3));
        List<String> lines = new ArrayList<>();
        float[] out = new float[x.length];
        for (UnaryOp op : OPS) {
            VEC.unary(op, x, 0, 1, out, 0, x.length);
            StringBuilder sb = new StringBuilder(op.name()).append(' ');
            for (float v : out) sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(',');
            lines.add(sb.toString());
        }
        float[] sm = new float[x.length];
        VEC.softmax(x, 0, 1, sm, 0, 1, x.length, false);
        StringBuilder sb = new StringBuilder("SOFTMAX ");
        for (float v : sm) sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(',');
        lines.add(sb.toString());
        return lines;
    }

    private static void warmUp() {
        float[] x = new float[1024], out = new float[1024];
        for (int i = 0; i < x.length; i++) x[i] = (i - 512) / 16f;
        for (int rep = 0; rep < 3000; rep++) {
            for (UnaryOp op : OPS) VEC.unary(op, x, 0, 1, out, 0, x.length);
            VEC.softmax(x, 0, 1, out, 0, 1, x.length, false);
        }
    }

    @Test
    void sameBitsBeforeAndAfterWarmUp() {
        List<String> before = bits();
        warmUp();
        assertEquals(before, bits());
    }

    /** The interpreter (-Xint) in a fresh JVM computes what this warmed-up JVM computes. */
    @Test
    void interpreterAgreesWithTheJit() throws Exception {
        warmUp();
        List<String> jit = bits();
        List<String> interpreted = KernelBits.runFresh("-Xint");
        assertEquals(jit.size(), interpreted.size());
        for (int i = 0; i < jit.size(); i++) assertEquals(jit.get(i), interpreted.get(i), "op line " + i);
    }

    /** Prints {@link #bits()}: run by {@link #interpreterAgreesWithTheJit} in a fresh JVM. */
    static final class KernelBits {
        public static void main(String[] args) {
            for (String line : bits()) System.out.println(line);
        }

        static List<String> runFresh(String... jvmFlags) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(List.of(jvmFlags));
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", FreshJvm.classPath(),
                    KernelBits.class.getName()));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), "fresh JVM failed: " + cmd);
            return out.lines().toList();
        }
    }
}
