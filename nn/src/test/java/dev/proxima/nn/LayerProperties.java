package dev.proxima.nn;

import static dev.proxima.nn.ModuleGradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.GradCheck;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.functional.Losses;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Properties over random shapes, masks and hyperparameters (first-order checks; the fixed-shape suites do order 2). */
class LayerProperties {
    private static final GradCheck.Options O = new GradCheck.Options(1e-6, 1e-6, 1e-4, 5);

    @Property(tries = 6)
    void normsOverRandomShapes(@ForAll @IntRange(min = 2, max = 4) int n, @ForAll @IntRange(min = 1, max = 3) int c,
                               @ForAll @IntRange(min = 1, max = 3) int l, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        Tensor x = randn(seed, n, c, l);
        ModuleGradCheck.checkWith(new LayerNorm(c, l), List.of(x), (p, in) -> new LayerNorm(c, l).apply(p, in.get(0)), false);
        ModuleGradCheck.checkWith(new RMSNorm(l), List.of(x), (p, in) -> new RMSNorm(l).apply(p, in.get(0)), false);
        BatchNorm1d bn = new BatchNorm1d(c);
        ModuleGradCheck.checkWith(bn, List.of(x), (p, in) -> bn.apply(p, in.get(0)), false);
    }

    @Property(tries = 6)
    void attentionWithRandomPaddingMasks(@ForAll @IntRange(min = 1, max = 2) int b, @ForAll @IntRange(min = 1, max = 3) int l,
                                         @ForAll @IntRange(min = 1, max = 4) int s, @ForAll @IntRange(min = 1, max = 2) int heads,
                                         @ForAll boolean causal, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        Rng rng = new Rng(seed);
        int[] pad = new int[b * s];
        for (int i = 0; i < b; i++)
            for (int j = 1; j < s; j++) pad[i * s + j] = rng.nextInt(3) == 0 ? 1 : 0; // key 0 stays visible: no row is fully masked
        Tensor mask = Tensor.of(NDArray.of(pad, b, s));
        MultiheadAttention m = new MultiheadAttention(2 * heads, heads, rng);
        boolean self = l == s;
        List<Tensor> in = self ? List.of(randn(seed + 1, b, l, 2 * heads)) : List.of(randn(seed + 1, b, l, 2 * heads), randn(seed + 2, b, s, 2 * heads));
        ModuleGradCheck.checkWith(m, in, (p, xs) -> m.apply(p, xs.get(0), self ? null : xs.get(1), mask, causal && self), false);
    }

    @Property(tries = 6)
    void maskedKeysDoNotInfluenceTheOutput(@ForAll @IntRange(min = 2, max = 5) int s, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        MultiheadAttention m = new MultiheadAttention(4, 2, new Rng(seed));
        int[] pad = new int[s];
        pad[s - 1] = 1;
        Tensor mask = Tensor.of(NDArray.of(pad, 1, s));
        Tensor q = Tensor.randn(new Rng(seed + 1), 1, 3, 4), kv = Tensor.randn(new Rng(seed + 2), 1, s, 4);
        Tensor changed = Tensor.concat(1, kv.slice(1, 0, s - 1), Tensor.randn(new Rng(seed + 3), 1, 1, 4).mul(100));
        Check.close("padded key changed", m.apply(m.params(), q, kv, mask, false), m.apply(m.params(), q, changed, mask, false), 1e-5, 1e-5);
    }

    @Property(tries = 6)
    void poolingOverRandomWindows(@ForAll @IntRange(min = 1, max = 3) int k, @ForAll @IntRange(min = 1, max = 3) int stride,
                                  @ForAll @IntRange(min = 0, max = 1) int pad, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        if (pad * 2 > k) pad = 0;
        Tensor x = randn(seed, 1, 2, 5, 4);
        int pd = pad;
        GradCheck.check(xs -> new AvgPool2d(k, stride, pd).apply(dev.proxima.autograd.Params.empty(), xs.get(0)), List.of(x), O);
    }

    @Property(tries = 8)
    void crossEntropyIsTheMeanOfItsRowFormula(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 2, max = 5) int c,
                                             @ForAll @IntRange(min = 0, max = 3) int smoothingTenths, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        Rng rng = new Rng(seed);
        double eps = smoothingTenths / 10.0;
        int ignore = c - 1;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(c);
        y[0] = 0; // at least one row counts
        Tensor z = randn(seed + 1, n, c);
        double[] zv = z.toDoubleArray();
        double sum = 0;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] == ignore) continue;
            double max = Double.NEGATIVE_INFINITY, lse = 0, mean = 0;
            for (int j = 0; j < c; j++) max = Math.max(max, zv[i * c + j]);
            for (int j = 0; j < c; j++) lse += Math.exp(zv[i * c + j] - max);
            lse = Math.log(lse) + max;
            for (int j = 0; j < c; j++) mean += (lse - zv[i * c + j]) / c;
            sum += (1 - eps) * (lse - zv[i * c + y[i]]) + eps * mean;
            kept++;
        }
        Tensor labels = Tensor.of(NDArray.of(y, n));
        assertEquals(sum / kept, Losses.crossEntropy(z, labels, eps, ignore).item(), 1e-9);
        GradCheck.check(xs -> Losses.crossEntropy(xs.get(0), labels, eps, ignore), List.of(z), O);
    }

    @Property(tries = 5)
    void convTapsGiveTheWeightGradient(@ForAll @IntRange(min = 1, max = 2) int stride, @ForAll @IntRange(min = 0, max = 1) int pad,
                                       @ForAll @LongRange(min = 0, max = 1000) long seed) {
        Conv2d conv = new Conv2d(2, 3, 3, 2, Conv2dSpec.of(stride, pad), true, new Rng(seed));
        conv.to(DType.FLOAT64);
        Tensor x = randn(seed + 1, 2, 2, 5, 6);
        Tapped t = conv.applyTapped(conv.params(), x);
        LayerTap tap = t.taps().get(0);
        int rows = 2 * conv.spec.outH(5, 3) * conv.spec.outW(6, 2);
        assertArrayEquals(new int[] {rows, 2 * 3 * 2}, tap.input().shape());
        assertArrayEquals(new int[] {rows, 3}, tap.output().shape());
        Tensor loss = t.output().tanh().sum();
        List<Tensor> g = Autograd.grad(loss, List.of(tap.output(), conv.params().get("weight"), conv.params().get("bias")), false);
        Check.close("dW = gᵀ·patches", g.get(1), g.get(0).mT().matmul(tap.input()).reshape(3, 2, 3, 2), 1e-10, 1e-10);
        Check.close("db = Σ g", g.get(2), g.get(0).sum(0), 1e-10, 1e-10);
    }
}
