package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autocast;
import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Optimizer;
import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.testkit.Gen;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link Autocast}: inside a scope, matmul and conv2d of float32 operands are the bfloat16 op
 * on the rounded operands (float32 accumulation, one rounding of the result), handed back as
 * float32; gradients flow through the casts to float32 master weights; float64 is never
 * lowered; a backward pass follows the dtypes its forward pass recorded. The cast's own
 * float64 gradient check, to order 2, is {@code ShapeGradTest.castToBFloat16IsDifferentiable}.
 */
class AutocastTest {

    private static NDArray f32(SplittableRandom r, int... shape) {
        return NDArray.of(Gen.uniform(r, GradInputs.size(shape), -2, 2), shape).to(DType.FLOAT32);
    }

    /** {@code x}'s values rounded to bfloat16, held in float32. */
    private static NDArray rounded(NDArray x) {
        return x.to(DType.BFLOAT16).to(DType.FLOAT32);
    }

    private static int[] shape(int batch, int rows, int cols) {
        return batch == 0 ? new int[] {rows, cols} : new int[] {batch, rows, cols};
    }

    @Property(tries = 60)
    void matmulIsTheFloat32ProductOfRoundedOperandsRoundedOnce(@ForAll @IntRange(min = 1, max = 40) int m,
            @ForAll @IntRange(min = 1, max = 70) int k, @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(max = 3) int batch, @ForAll boolean vector, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        NDArray a = vector ? f32(r, k) : f32(r, shape(batch, m, k)), b = f32(r, shape(batch, k, n));
        Tensor got;
        try (var cast = Autocast.bf16()) {
            assertTrue(Autocast.isEnabled());
            got = Tensor.of(a).matmul(Tensor.of(b));
        }
        assertFalse(Autocast.isEnabled(), "closing the scope restores the setting");
        assertEquals(DType.FLOAT32, got.dtype(), "the product comes back in float32");
        NDArray ra = rounded(a), rb = rounded(b);
        NDArray want = rounded(vector ? ra.reshape(1, k).matmul(rb).reshape(batch == 0 ? new int[] {n} : new int[] {batch, n})
                : ra.matmul(rb));
        assertArrayEquals(want.toFloatArray(), got.data().toFloatArray(), "matmul " + a + " x " + b);
        // outside the scope: the float32 product, unrounded
        assertArrayEquals((vector ? a.reshape(1, k).matmul(b).reshape(got.shape()) : a.matmul(b)).toFloatArray(),
                Tensor.of(a).matmul(Tensor.of(b)).data().toFloatArray());
    }

    @Property(tries = 25)
    void conv2dIsTheFloat32ConvolutionOfRoundedOperandsRoundedOnce(@ForAll @IntRange(min = 1, max = 3) int c,
            @ForAll @IntRange(min = 1, max = 4) int o, @ForAll @IntRange(min = 3, max = 9) int h,
            @ForAll @IntRange(min = 1, max = 3) int kh, @ForAll @IntRange(max = 1) int pad, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        NDArray x = f32(r, 2, c, h, h + 1), w = f32(r, o, c, kh, kh);
        Conv2dSpec spec = Conv2dSpec.of(1, pad);
        Tensor got;
        try (var cast = Autocast.bf16()) {
            got = Tensor.conv2d(Tensor.of(x), Tensor.of(w), spec);
        }
        assertEquals(DType.FLOAT32, got.dtype());
        NDArray want = rounded(Tensor.conv2d(Tensor.of(rounded(x)), Tensor.of(rounded(w)), spec).data());
        assertArrayEquals(want.toFloatArray(), got.data().toFloatArray());
    }

    /**
     * d/dW sum(c * (x W)) under autocast: the cotangent c rounded to bfloat16 by the cast's
     * rule, x^T c as a bfloat16 product of the rounded operands (rounded once), cast back to
     * the float32 leaf's dtype by the other cast's rule; and the float64 gradient x^T c to
     * bfloat16's precision (inputs in [-2, 2], k = 9 terms: each term and the sum within a few
     * units of 2^-8 of 9 * 4).
     */
    @Property(tries = 40)
    void gradientsFlowThroughTheCastsToFloat32Leaves(@ForAll @IntRange(min = 1, max = 9) int m,
            @ForAll @IntRange(min = 1, max = 9) int n, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = 9;
        NDArray x = f32(r, m, k), w = f32(r, k, n), c = f32(r, m, n);
        Tensor wt = Tensor.of(w).requiresGrad(true), xt = Tensor.of(x).requiresGrad(true);
        List<Tensor> g;
        try (var cast = Autocast.bf16()) {
            g = Autograd.grad(xt.matmul(wt).mul(Tensor.of(c)).sum(), List.of(xt, wt), false);
        }
        Tensor gx = g.get(0), gw = g.get(1);
        assertEquals(DType.FLOAT32, gw.dtype(), "a float32 leaf gets a float32 gradient");
        assertEquals(DType.FLOAT32, gx.dtype());
        assertArrayEquals(rounded(rounded(x).transpose(0, 1).matmul(rounded(c))).toFloatArray(), gw.data().toFloatArray());
        assertArrayEquals(rounded(rounded(c).matmul(rounded(w).transpose(0, 1))).toFloatArray(), gx.data().toFloatArray());
        double[] exact = x.to(DType.FLOAT64).transpose(0, 1).matmul(c.to(DType.FLOAT64)).toDoubleArray();
        float[] got = gw.data().toFloatArray();
        for (int i = 0; i < exact.length; i++) {
            assertEquals(BFloat16.toFloat(BFloat16.fromFloat(got[i])), got[i], "gradient values are bfloat16");
            assertEquals(exact[i], got[i], 4 * 0x1p-8 * k * 4, "element " + i);
        }
    }

    @Test
    void float64IsNeverLoweredAndScopesNest() {
        SplittableRandom r = new SplittableRandom(3);
        Tensor a = Tensor.of(NDArray.of(Gen.uniform(r, 12, -1, 1), 3, 4)), b = Tensor.of(NDArray.of(Gen.uniform(r, 8, -1, 1), 4, 2));
        double[] plain = a.matmul(b).toDoubleArray();
        try (var cast = Autocast.bf16()) {
            Tensor p = a.matmul(b);
            assertEquals(DType.FLOAT64, p.dtype());
            assertArrayEquals(plain, p.toDoubleArray(), "float64 stays float64, unrounded");
            Tensor a32 = a.to(DType.FLOAT32), b32 = b.to(DType.FLOAT32);
            try (var off = Autocast.disabled()) {
                assertFalse(Autocast.isEnabled());
                assertArrayEquals(a32.data().matmul(b32.data()).toFloatArray(), a32.matmul(b32).data().toFloatArray(), "disabled: plain float32");
            }
            assertTrue(Autocast.isEnabled(), "the inner scope restores the outer one");
            // bfloat16 operands stay bfloat16: nothing to lower, nothing to cast back
            assertEquals(DType.BFLOAT16, a.to(DType.BFLOAT16).matmul(b.to(DType.BFLOAT16)).dtype());
        }
        // the call form is the scope around a body
        Tensor a32 = a.to(DType.FLOAT32), b32 = b.to(DType.FLOAT32);
        assertArrayEquals(rounded(rounded(a32.data()).matmul(rounded(b32.data()))).toFloatArray(),
                Autocast.bf16(() -> a32.matmul(b32)).data().toFloatArray());
        assertFalse(Autocast.isEnabled());
    }

    /** A graph recorded in float32 outside a scope gets the same gradient when grad is called inside one. */
    @Test
    void backwardFollowsTheRecordedDtypes() {
        SplittableRandom r = new SplittableRandom(4);
        Tensor x = Tensor.of(f32(r, 5, 6)), w = Tensor.of(f32(r, 6, 3)).requiresGrad(true);
        Tensor loss = x.matmul(w).tanh().sum();
        Tensor outside = Autograd.grad(loss, List.of(w), true).get(0);
        Tensor inside;
        try (var cast = Autocast.bf16()) {
            inside = Autograd.grad(loss, List.of(w), true).get(0);
        }
        assertArrayEquals(outside.data().toFloatArray(), inside.data().toFloatArray());
    }

    /**
     * One training step under autocast: a two-layer model's loss (softmax cross-entropy by
     * logSoftmax, a float32 reduction) and its gradients, then Adam on the float32 master
     * weights outside the scope. Every weight moves, stays float32, and the loss goes down
     * over a few steps.
     */
    @Test
    void aTrainingStepUnderAutocastUpdatesFloat32MasterWeights() {
        SplittableRandom r = new SplittableRandom(7);
        NDArray x = f32(r, 16, 8);
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) labels[i] = r.nextInt(3);
        Tensor target = Tensor.oneHot(Tensor.of(NDArray.of(labels, 16)), 3, DType.FLOAT32);
        Params params = Params.of("w1", Tensor.of(f32(r, 8, 12).mul(0.3)), "w2", Tensor.of(f32(r, 12, 3).mul(0.3)));
        Optimizer opt = new Optimizer(Adam.builder().lr(1e-2).build(), params);
        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step < 20; step++) {
            Params p = opt.params();
            Tensor loss;
            try (var cast = Autocast.bf16()) {
                Tensor logits = Tensor.of(x).matmul(p.get("w1")).tanh().matmul(p.get("w2"));
                assertEquals(DType.FLOAT32, logits.dtype());
                loss = logits.logSoftmax(1).mul(target).sum().neg().div(16.0);
                assertEquals(DType.FLOAT32, loss.dtype(), "the loss stays float32");
            }
            opt.zeroGrad();
            loss.backward();
            for (Tensor t : p.values()) assertEquals(DType.FLOAT32, t.grad().dtype());
            opt.step();
            for (String name : p.names()) {
                Tensor before = p.get(name), after = opt.params().get(name);
                assertEquals(DType.FLOAT32, after.dtype(), name + " stays a float32 master weight");
                float[] bv = before.data().toFloatArray(), av = after.data().toFloatArray();
                int moved = 0, offGrid = 0;
                for (int i = 0; i < bv.length; i++) {
                    if (av[i] != bv[i]) moved++;
                    if (BFloat16.toFloat(BFloat16.fromFloat(av[i])) != av[i]) offGrid++;
                }
                assertEquals(bv.length, moved, name + ": every weight moves");
                if (step > 0) assertTrue(offGrid > 0, name + ": the master weights keep float32 precision, not bfloat16's");
            }
            double l = loss.item();
            if (step == 0) first = l;
            last = l;
        }
        assertTrue(last < first, "loss " + first + " -> " + last);
    }
}
