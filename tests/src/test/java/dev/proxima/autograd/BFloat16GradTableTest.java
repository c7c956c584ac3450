package dev.proxima.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.DType;
import dev.proxima.opencl.OpenClBackend;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every {@link GradTable} entry computed in bfloat16, value and gradient, against float64 at
 * the same point: the entry's inputs rounded to bfloat16 (both runs then start from the same
 * numbers), a random cotangent rounded to bfloat16. A bfloat16 input gets a bfloat16 value
 * and gradient (the entries' own float64 checks of order 1 and 2 stay in {@link GradCoverageTest}).
 *
 * <p>The tolerance, from bfloat16's 8-bit significand (7 stored bits and the implicit one):
 * every op rounds its result once to nearest, a relative error of at most u = 2^-8. Errors
 * add along a graph, so a value computed by a graph of N recorded ops is within about
 * N u of its float64 value, relative to the largest magnitude in it; a gradient the same,
 * with N the ops of its own graph (recorded with createGraph: the forward ops it reads and
 * the rules' ops). The check is normwise,
 * {@code max|bf16 - f64| <= K * N * u * max|f64|}, with K = {@value #K} for the
 * amplification allowed by the entries' well-conditioned domains (OpDomains): the worst
 * seen over 100 seeds per entry was 2.2 N u (conv2d's gradient), 3.2 N u for a value
 * (klDivLogits, whose result is a small difference of larger terms).
 *
 * <p>The same check runs with the bfloat16 side on the OpenCL device ({@link
 * #everyEntryInBFloat16OnOpenCl}; the float64 reference stays on the CPU), reported as skipped,
 * with the reason, where there is no OpenCL device. Its kernels compute in float and round once
 * as the CPU's do, so the same tolerance holds.
 *
 * <p>Second order is not checked in bfloat16: the entries' second-order function, y tanh y,
 * cancels in its second derivative (1 - y tanh y), and the result is then small beside the
 * terms it is made of (fold2d's reached 13 N u of it).
 */
class BFloat16GradTableTest {
    /** bfloat16's unit roundoff: half an ulp of 1 with 8 significant bits. */
    private static final double U = 0x1p-8;
    /** The allowed amplification of the per-op rounding (see the class comment). */
    private static final double K = 4;

    @Test
    void everyEntryInBFloat16() {
        for (GradTable.Case c : GradTable.CASES.values())
            for (long seed = 1; seed <= 3; seed++) check(c, seed, Device.cpu());
    }

    @Property(tries = 60)
    void entriesOnRandomValues(@ForAll("entries") String signature, @ForAll long seed) {
        check(GradTable.CASES.get(signature), seed, Device.cpu());
    }

    @Test
    void everyEntryInBFloat16OnOpenCl() {
        OpenClBackend cl;
        try {
            cl = (OpenClBackend) Device.opencl().backend();
        } catch (RuntimeException | LinkageError e) {
            Assumptions.abort("no usable OpenCL device: " + e.getMessage());
            return;
        }
        for (GradTable.Case c : GradTable.CASES.values()) {
            // to(DType)'s entry ends in float64, which a device without cl_khr_fp64 cannot hold
            if (c.signature().equals("to(DType)") && !cl.supportsFloat64()) continue;
            for (long seed = 1; seed <= 3; seed++) check(c, seed, cl.device());
        }
    }

    @Provide
    Arbitrary<String> entries() {
        return Arbitraries.of(List.copyOf(GradTable.CASES.keySet()));
    }

    /** The entry in float64 on the CPU against the same in bfloat16 on {@code device}. */
    private static void check(GradTable.Case c, long seed, Device device) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Tensor> x64 = new ArrayList<>(), xb = new ArrayList<>();
        for (Tensor x : c.inputs().apply(r)) {
            Tensor v = x.detach().to(DType.BFLOAT16).to(DType.FLOAT64);
            x64.add(v.requiresGrad(true));
            xb.add(v.to(DType.BFLOAT16).to(device).requiresGrad(true));
        }
        Tensor y64 = c.f().apply(x64), yb = c.f().apply(xb);
        String what = c.signature() + " seed " + seed + " on " + device;
        assertEquals(device, yb.device(), what + ": the value left the device");
        // to(DType)'s entry is a round trip ending in float64: its value is float64 from any input
        if (!c.signature().equals("to(DType)")) assertEquals(DType.BFLOAT16, yb.dtype(), c.signature() + ": the value's dtype");
        assertClose(y64, yb, nodes(yb), what + ": value");
        double[] cv = new double[y64.size()];
        for (int i = 0; i < cv.length; i++) cv[i] = BFloat16.toDouble(BFloat16.fromDouble(2 * r.nextDouble() - 1));
        Tensor c64 = Tensor.of(NDArray.of(cv, y64.shape()));
        List<Tensor> g64 = Autograd.grad(List.of(y64), x64, List.of(c64), false, false, false);
        List<Tensor> gb = Autograd.grad(List.of(yb), xb, List.of(c64.to(yb.dtype()).to(device)), true, true, false);
        for (int k = 0; k < g64.size(); k++) {
            assertEquals(DType.BFLOAT16, gb.get(k).dtype(), what + ": gradient " + k + "'s dtype");
            assertEquals(device, gb.get(k).device(), what + ": gradient " + k + " left the device");
            assertClose(g64.get(k), gb.get(k), nodes(gb.get(k)), what + ": gradient " + k);
        }
    }

    /** max|got - want| <= K * ops * U * max|want|. */
    private static void assertClose(Tensor want, Tensor got, int ops, String what) {
        double[] w = want.toDoubleArray(), g = got.toDoubleArray();
        double scale = 0, err = 0;
        for (double v : w) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w.length; i++) err = Math.max(err, Math.abs(w[i] - g[i]));
        double tol = K * Math.max(ops, 1) * U * scale;
        assertTrue(err <= tol, what + ": bfloat16 is " + err + " from float64, over " + tol + " (" + ops + " ops, max " + scale + ")");
    }

    /** The recorded ops of {@code t}'s graph. */
    private static int nodes(Tensor t) {
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Tensor> todo = new ArrayDeque<>(List.of(t));
        while (!todo.isEmpty()) {
            Node n = todo.pop().node;
            if (n == null || !seen.add(n)) continue;
            todo.addAll(List.of(n.inputs()));
        }
        return seen.size();
    }
}
