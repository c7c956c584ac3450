package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Conv2dSpec;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.Random;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

/**
 * KFAC against a direct computation: the factors from per-example gradients (each example's
 * loss differentiated on its own), the explicit Kronecker product {@code Â ⊗ Ĝ} built and
 * solved by Gaussian elimination, and the resulting step compared with {@link Kfac}'s, in
 * float64; plus the running averages, the inverse schedule, convolution taps, and the SPD
 * inverse itself.
 */
class KfacTest {

    // ---- a direct reference ------------------------------------------------------------

    /** Solves {@code m x = b} by Gaussian elimination with partial pivoting. */
    static double[] solve(double[][] m, double[] b) {
        int n = b.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = m[i].clone();
        double[] x = b.clone();
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            double[] t = a[c]; a[c] = a[p]; a[p] = t;
            double tx = x[c]; x[c] = x[p]; x[p] = tx;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
                x[r] -= f * x[c];
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            double s = x[r];
            for (int k = r + 1; k < n; k++) s -= a[r][k] * x[k];
            x[r] = s / a[r][r];
        }
        return x;
    }

    static double[][] matrix(Tensor t) {
        int r = t.shape(0), c = t.shape(1);
        double[] d = t.toDoubleArray();
        double[][] m = new double[r][c];
        for (int i = 0; i < r; i++) System.arraycopy(d, i * c, m[i], 0, c);
        return m;
    }

    /** {@code (Â ⊗ Ĝ)⁻¹ vec(grad)} with column-major vec, returned as an out x cols matrix. */
    static double[][] naturalGradient(double[][] a, double[][] g, double[][] grad, double damping, boolean factored) {
        int na = a.length, ng = g.length;
        double pi = 1;
        if (factored) {
            double ta = 0, tg = 0;
            for (int i = 0; i < na; i++) ta += a[i][i];
            for (int i = 0; i < ng; i++) tg += g[i][i];
            pi = Math.sqrt((ta / na) / (tg / ng));
        }
        double da = pi * Math.sqrt(damping), dg = Math.sqrt(damping) / pi;
        int n = na * ng;
        double[][] f = new double[n][n];
        for (int i = 0; i < na; i++)
            for (int j = 0; j < na; j++)
                for (int k = 0; k < ng; k++)
                    for (int l = 0; l < ng; l++)
                        f[i * ng + k][j * ng + l] = (a[i][j] + (i == j ? da : 0)) * (g[k][l] + (k == l ? dg : 0));
        double[] v = new double[n];
        for (int col = 0; col < na; col++) for (int row = 0; row < ng; row++) v[col * ng + row] = grad[row][col];
        double[] x = solve(f, v);
        double[][] r = new double[ng][na];
        for (int col = 0; col < na; col++) for (int row = 0; row < ng; row++) r[row][col] = x[col * ng + row];
        return r;
    }

    /** Per-example squared error: loss_i = 0.5 ||s_i - y_i||², the batch loss their mean. */
    static Tensor exampleLoss(Tensor s, Tensor y) {
        return s.sub(y).square().sum().mul(0.5);
    }

    // ---- one linear layer: the exact Kronecker-factored natural gradient --------------

    @Property(tries = 30)
    void oneLinearLayerTakesTheKroneckerFactoredNaturalGradientStep(@ForAll @IntRange(min = 1, max = 4) int in,
            @ForAll @IntRange(min = 1, max = 3) int out, @ForAll @IntRange(min = 1, max = 6) int n,
            @ForAll boolean bias, @ForAll boolean factored, @ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Rng rng = new Rng(seed);
        double damping = Math.pow(10, -3 + 2 * new Random(seed).nextDouble());
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, in), y = Tensor.randn(rng, DType.FLOAT64, n, out);
        Params params = bias ? Params.of("w", Tensor.randn(rng, DType.FLOAT64, out, in), "b", Tensor.randn(rng, DType.FLOAT64, out))
                : Params.of("w", Tensor.randn(rng, DType.FLOAT64, out, in));
        Params leaves = params.requiresGrad();
        Tensor s = x.matmul(leaves.get("w").mT());
        if (bias) s = s.add(leaves.get("b"));
        Tensor loss = s.sub(y).square().sum(1).mul(0.5).mean();
        LayerTap tap = new LayerTap("w", bias ? "b" : null, x, s);
        Kfac.Gradients kg = Kfac.gradients(loss, leaves, List.of(tap), n);

        // the factors, directly: A from the inputs, G from each example's own loss gradient
        int cols = in + (bias ? 1 : 0);
        double[][] a = new double[cols][cols], g = new double[out][out];
        double[][] xs = matrix(x);
        for (int i = 0; i < n; i++) {
            double[] abar = java.util.Arrays.copyOf(xs[i], cols);
            if (bias) abar[in] = 1;
            for (int p = 0; p < cols; p++) for (int q = 0; q < cols; q++) a[p][q] += abar[p] * abar[q] / n;
            Tensor si = x.select(0, i).reshape(1, in).matmul(params.get("w").mT()).reshape(out);
            if (bias) si = si.add(params.get("b"));
            si = si.requiresGrad(true);
            double[] gi = Autograd.grad(exampleLoss(si, y.select(0, i)), List.of(si), false).get(0).toDoubleArray();
            for (int p = 0; p < out; p++) for (int q = 0; q < out; q++) g[p][q] += gi[p] * gi[q] / n;
        }

        double lr = 0.3;
        Kfac kfac = Kfac.builder().lr(lr).momentum(0).klClip(0).damping(damping).factoredDamping(factored).build();
        Update<Kfac.State> u = kfac.update(kg.grads(), kfac.init(params), params, kg.curvature());
        Kfac.Factors f = u.state().factors().get("w");
        assertMatrixEquals(a, matrix(f.a()), 1e-12, "A");
        assertMatrixEquals(g, matrix(f.g()), 1e-12, "G");

        double[][] grad = new double[out][cols];
        double[][] gw = matrix(kg.grads().get("w"));
        double[] gb = bias ? kg.grads().get("b").toDoubleArray() : null;
        for (int r = 0; r < out; r++) {
            System.arraycopy(gw[r], 0, grad[r], 0, in);
            if (bias) grad[r][in] = gb[r];
        }
        double[][] nat = naturalGradient(a, g, grad, damping, factored);
        double[][] w0 = matrix(params.get("w")), w1 = matrix(u.applyTo(params).get("w"));
        double[] b0 = bias ? params.get("b").toDoubleArray() : null, b1 = bias ? u.applyTo(params).get("b").toDoubleArray() : null;
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++)
                assertEquals(w0[r][c] - lr * nat[r][c], w1[r][c], 1e-9 * (1 + Math.abs(w1[r][c])), "w[" + r + "][" + c + "]");
            if (bias) assertEquals(b0[r] - lr * nat[r][in], b1[r], 1e-9 * (1 + Math.abs(b1[r])), "b[" + r + "]");
        }
    }

    static void assertMatrixEquals(double[][] want, double[][] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " rows");
        for (int i = 0; i < want.length; i++)
            for (int j = 0; j < want[i].length; j++)
                assertEquals(want[i][j], got[i][j], tol * (1 + Math.abs(want[i][j])), what + "[" + i + "][" + j + "]");
    }

    // ---- two layers and an untapped parameter -----------------------------------------

    @Example
    void eachLayerIsPreconditionedByItsOwnBlockAndUntappedParametersTakeSgdMomentum() {
        Rng rng = new Rng(17);
        int n = 5;
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, 3), y = Tensor.randn(rng, DType.FLOAT64, n, 2);
        Params params = Params.of("0.weight", Tensor.randn(rng, DType.FLOAT64, 4, 3), "0.bias", Tensor.randn(rng, DType.FLOAT64, 4),
                "1.weight", Tensor.randn(rng, DType.FLOAT64, 2, 4), "scale", Tensor.of(new double[] {1.5}, 1));
        Kfac kfac = Kfac.builder().lr(0.1).momentum(0.5).klClip(0).damping(1e-2).build();
        Kfac.State state = kfac.init(params);
        Params p = params, sgdOnly = params;
        Sgd sgd = Sgd.builder().lr(0.1).momentum(0.5).build();
        Sgd.State sgdState = sgd.init(params);
        for (int step = 0; step < 3; step++) {
            Params leaves = p.requiresGrad();
            Tensor s0 = x.matmul(leaves.get("0.weight").mT()).add(leaves.get("0.bias"));
            Tensor h = s0.tanh();
            Tensor s1 = h.matmul(leaves.get("1.weight").mT());
            Tensor loss = s1.mul(leaves.get("scale")).sub(y).square().sum(1).mean();
            List<LayerTap> taps = List.of(new LayerTap("0.weight", "0.bias", x, s0), new LayerTap("1.weight", null, h, s1));
            Kfac.Gradients kg = Kfac.gradients(loss, leaves, taps, n);
            Update<Kfac.State> u = kfac.update(kg.grads(), state, p, kg.curvature());
            // the untapped scalar follows SGD-momentum on its raw gradient exactly
            Update<Sgd.State> su = sgd.update(kg.grads(), sgdState, sgdOnly);
            assertEquals(su.applyTo(sgdOnly).get("scale").item(), u.applyTo(p).get("scale").item(), 1e-15);
            // layer 1's direction is its own G⁻¹ ∇W A⁻¹, independent of layer 0
            Kfac.Factors f1 = u.state().factors().get("1.weight");
            Tensor pre = f1.gInverse().matmul(kg.grads().get("1.weight")).matmul(f1.aInverse());
            Tensor expectedBuf = step == 0 ? pre : state.momentum().get("1.weight").mul(0.5).add(pre);
            assertArrayEquals(p.get("1.weight").sub(expectedBuf.mul(0.1)).toDoubleArray(), u.applyTo(p).get("1.weight").toDoubleArray(), 1e-12);
            assertEquals(4, f1.a().shape(0));
            assertEquals(4, u.state().factors().get("0.weight").a().shape(0)); // 3 inputs + the bias column
            p = u.applyTo(p);
            state = u.state();
            sgdOnly = p;
            sgdState = new Sgd.State(su.state().step(), u.state().momentum());
        }
    }

    // ---- running averages and the inverse schedule -----------------------------------

    @Example
    void factorsAreRunningAveragesAndInversesAreRecomputedEveryTSteps() {
        Rng rng = new Rng(3);
        int n = 4;
        Params p = Params.of("w", Tensor.randn(rng, DType.FLOAT64, 2, 3));
        Kfac kfac = Kfac.builder().lr(0.05).inverseEvery(2).statDecay(0.6).klClip(0).build();
        Kfac.State s = kfac.init(p);
        Kfac.Factors prev = null;
        for (int step = 0; step < 4; step++) {
            Tensor x = Tensor.randn(rng, DType.FLOAT64, n, 3);
            Params leaves = p.requiresGrad();
            Tensor out = x.matmul(leaves.get("w").mT());
            Tensor loss = out.square().sum(1).mean();
            Kfac.Gradients kg = Kfac.gradients(loss, leaves, List.of(new LayerTap("w", null, x, out)), n);
            Update<Kfac.State> u = kfac.update(kg.grads(), s, p, kg.curvature());
            Kfac.Factors f = u.state().factors().get("w");
            Tensor aBatch = x.mT().matmul(x).div(n);
            Tensor g = kg.curvature().outputGrads().get(0);
            Tensor gBatch = g.mT().matmul(g).mul(n);
            double eps = Math.min(0.6, 1 - 1.0 / (step + 1));
            Tensor aWant = prev == null ? aBatch : prev.a().mul(eps).add(aBatch.mul(1 - eps));
            Tensor gWant = prev == null ? gBatch : prev.g().mul(eps).add(gBatch.mul(1 - eps));
            assertArrayEquals(aWant.toDoubleArray(), f.a().toDoubleArray(), 1e-12);
            assertArrayEquals(gWant.toDoubleArray(), f.g().toDoubleArray(), 1e-12);
            if (step % 2 == 1) {
                assertSame(prev.aInverse(), f.aInverse(), "inverses kept between recomputations");
                assertSame(prev.gInverse(), f.gInverse());
            } else if (prev != null) {
                assertNotSame(prev.aInverse(), f.aInverse(), "inverses recomputed at step " + step);
            }
            prev = f;
            p = u.applyTo(p);
            s = u.state();
        }
    }

    // ---- a convolution tap ------------------------------------------------------------

    @Example
    void convolutionTapsUseTheUnfoldedPatchMatrix() {
        Rng rng = new Rng(8);
        int n = 2, c = 2, o = 3, k = 2;
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, c, 4, 4);
        Params params = Params.of("conv.weight", Tensor.randn(rng, DType.FLOAT64, o, c, k, k), "conv.bias", Tensor.randn(rng, DType.FLOAT64, o));
        Params leaves = params.requiresGrad();
        Conv2dSpec spec = Conv2dSpec.of(1, 0);
        Tensor cols = x.unfold2d(k, k, spec);                       // [N, C*k*k, L]
        int l = cols.shape(2);
        Tensor patches = cols.permute(0, 2, 1).reshape(n * l, c * k * k);
        Tensor out = patches.matmul(leaves.get("conv.weight").reshape(o, c * k * k).mT()).add(leaves.get("conv.bias"));
        // the same layer as conv2d: the tap is a faithful matrix form
        Tensor direct = Tensor.conv2d(x, params.get("conv.weight"), spec).add(params.get("conv.bias").reshape(o, 1, 1));
        assertArrayEquals(direct.permute(0, 2, 3, 1).reshape(n * l, o).toDoubleArray(), out.toDoubleArray(), 1e-12);
        Tensor loss = out.tanh().square().sum().div(n);
        Kfac kfac = Kfac.builder().lr(0.1).momentum(0).klClip(0).damping(1e-2).build();
        Kfac.Gradients kg = Kfac.gradients(loss, leaves, List.of(new LayerTap("conv.weight", "conv.bias", patches, out)), n);
        Update<Kfac.State> u = kfac.update(kg.grads(), kfac.init(params), params, kg.curvature());
        Kfac.Factors f = u.state().factors().get("conv.weight");
        assertArrayEquals(new int[] {c * k * k + 1, c * k * k + 1}, f.a().shape());
        assertArrayEquals(new int[] {o, o}, f.g().shape());
        Tensor gm = Tensor.concat(1, kg.grads().get("conv.weight").reshape(o, c * k * k), kg.grads().get("conv.bias").reshape(o, 1));
        double[][] nat = naturalGradient(matrix(f.a()), matrix(f.g()), matrix(gm), 1e-2, true);
        double[] w0 = params.get("conv.weight").toDoubleArray(), w1 = u.applyTo(params).get("conv.weight").toDoubleArray();
        for (int i = 0; i < w0.length; i++) assertEquals(w0[i] - 0.1 * nat[i / (c * k * k)][i % (c * k * k)], w1[i], 1e-9);
        assertArrayEquals(params.get("conv.weight").shape(), u.applyTo(params).get("conv.weight").shape());
    }

    // ---- it trains, and it says what is wrong -------------------------------------------

    @Example
    void kfacSolvesAnIllConditionedRegressionThatSgdMomentumCrawlsOn() {
        Rng rng = new Rng(21);
        int n = 32;
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, 6).mul(Tensor.of(new double[] {5, 1, 0.2, 3, 0.5, 1}, 6)); // ill-conditioned inputs
        Tensor wTrue = Tensor.randn(rng, DType.FLOAT64, 2, 6);
        Tensor y = x.matmul(wTrue.mT());
        Params p0 = Params.of("w", Tensor.zeros(DType.FLOAT64, 2, 6), "b", Tensor.zeros(DType.FLOAT64, 2));
        // For a linear least-squares layer the Fisher is the Gauss-Newton matrix, so KFAC's steps
        // do not care how the inputs are scaled; SGD's stable rate is set by the largest scale.
        Kfac kfac = Kfac.builder().lr(0.5).momentum(0).klClip(0).damping(1e-3).build();
        Kfac.State s = kfac.init(p0);
        Params p = p0;
        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step < 30; step++) {
            Params leaves = p.requiresGrad();
            Tensor out = x.matmul(leaves.get("w").mT()).add(leaves.get("b"));
            Tensor loss = out.sub(y).square().sum(1).mul(0.5).mean();
            if (step == 0) first = loss.item();
            last = loss.item();
            // The true Fisher, as in the KFAC paper: output gradients of a loss whose targets
            // are sampled from the model's predictive distribution (here N(out, I)).
            Tensor sampled = out.sub(Kfac.sampleGaussianTargets(out, rng)).square().sum(1).mul(0.5).mean();
            Kfac.Curvature fisher = Kfac.curvature(sampled, List.of(new LayerTap("w", "b", x, out)), n);
            Update<Kfac.State> u = kfac.update(Autograd.grad(loss, leaves), s, p, fisher);
            p = u.applyTo(p);
            s = u.state();
        }
        Optimizer sgd = new Optimizer(Sgd.builder().lr(0.02).momentum(0.9).build(), p0);
        double sgdLast = Double.NaN;
        for (int step = 0; step < 30; step++) {
            sgd.zeroGrad();
            Tensor loss = x.matmul(sgd.params().get("w").mT()).add(sgd.params().get("b")).sub(y).square().sum(1).mul(0.5).mean();
            sgdLast = loss.item();
            loss.backward();
            sgd.step();
        }
        assertTrue(last < 1e-3 * first, "KFAC: " + first + " -> " + last);
        assertTrue(last < sgdLast, "KFAC " + last + " vs SGD-momentum " + sgdLast);
    }

    @Example
    void klClippingScalesTheWholeStep() {
        Rng rng = new Rng(4);
        int n = 6;
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, 3), y = Tensor.randn(rng, DType.FLOAT64, n, 2).mul(10);
        Params p = Params.of("w", Tensor.randn(rng, DType.FLOAT64, 2, 3), "b", Tensor.zeros(DType.FLOAT64, 2));
        Params leaves = p.requiresGrad();
        Tensor out = x.matmul(leaves.get("w").mT()).add(leaves.get("b"));
        Kfac.Gradients kg = Kfac.gradients(out.sub(y).square().sum(1).mean(), leaves, List.of(new LayerTap("w", "b", x, out)), n);
        double lr = 0.2, clip = 1e-3;
        Kfac free = Kfac.builder().lr(lr).momentum(0).klClip(0).build(), clipped = Kfac.builder().lr(lr).momentum(0).klClip(clip).build();
        Update<Kfac.State> uf = free.update(kg.grads(), free.init(p), p, kg.curvature());
        Update<Kfac.State> uc = clipped.update(kg.grads(), clipped.init(p), p, kg.curvature());
        Params stepFree = p.sub(uf.applyTo(p)), stepClipped = p.sub(uc.applyTo(p));
        double vg = stepFree.scale(1 / lr).dot(kg.grads()).item();
        double nu = Math.min(1, Math.sqrt(clip / (lr * lr * vg)));
        assertTrue(nu < 1, "the test needs a step that gets clipped, nu = " + nu);
        assertArrayEquals(UpdateRuleProperties.flat(stepFree.scale(nu)), UpdateRuleProperties.flat(stepClipped), 1e-12);
    }

    /**
     * Bound to each step's curvature ({@link Kfac#rule(Kfac.Curvature)}), KFAC composes in a
     * chain built anew each step, whose state carries over: the same steps as clipping by
     * hand, then {@link Kfac#update} with the curvature as an argument.
     */
    @Example
    void asARuleInsideAChainItTakesTheSameSteps() {
        Rng rng = new Rng(12);
        int n = 6;
        Tensor x = Tensor.randn(rng, DType.FLOAT64, n, 3), y = Tensor.randn(rng, DType.FLOAT64, n, 2);
        Params p0 = Params.of("w", Tensor.randn(rng, DType.FLOAT64, 2, 3), "b", Tensor.zeros(DType.FLOAT64, 2));
        Kfac kfac = Kfac.builder().lr(0.1).inverseEvery(2).build();
        ClipByGlobalNorm clip = ClipByGlobalNorm.of(10);
        Params viaChain = p0, p = p0;
        Chain.State cs = Chain.of(clip, kfac.rule(new Kfac.Curvature(List.of(), List.of(), 1))).init(p0);
        Kfac.State s = kfac.init(p0);
        for (int step = 0; step < 4; step++) {
            Params leaves = viaChain.requiresGrad();
            Tensor out = x.matmul(leaves.get("w").mT()).add(leaves.get("b"));
            Kfac.Gradients cg = Kfac.gradients(out.sub(y).square().sum(1).mean(), leaves, List.of(new LayerTap("w", "b", x, out)), n);
            Chain chain = Chain.of(clip, kfac.rule(cg.curvature()));
            Update<Chain.State> cu = chain.update(cg.grads(), cs, viaChain);
            viaChain = cu.applyTo(viaChain);
            cs = cu.state();
            assertEquals(0.1, chain.learningRate(cs));

            Params l2 = p.requiresGrad();
            Tensor out2 = x.matmul(l2.get("w").mT()).add(l2.get("b"));
            Kfac.Gradients kg = Kfac.gradients(out2.sub(y).square().sum(1).mean(), l2, List.of(new LayerTap("w", "b", x, out2)), n);
            Update<Kfac.State> u = kfac.update(clip.update(kg.grads(), clip.init(p), p).updates(), s, p, kg.curvature());
            p = u.applyTo(p);
            s = u.state();
            assertArrayEquals(UpdateRuleProperties.flat(p), UpdateRuleProperties.flat(viaChain), 1e-12, "step " + step);
        }
        NullPointerException e = assertThrows(NullPointerException.class, () -> kfac.rule(null));
        assertTrue(e.getMessage().contains("curvature"), e.getMessage());
    }

    @Example
    void sampledTargetsFollowTheModelsDistribution() {
        int rows = 20_000;
        double[] logits = {0.5, -1, 2, 0};
        double z = 0;
        for (double l : logits) z += Math.exp(l);
        Tensor lg = Tensor.of(logits, 1, 4).expand(rows, 4);
        int[] labels = Kfac.sampleLabels(lg, new Rng(1)).data().toIntArray();
        int[] count = new int[4];
        for (int l : labels) count[l]++;
        for (int c = 0; c < 4; c++) {
            double p = Math.exp(logits[c]) / z;
            assertEquals(p, count[c] / (double) rows, 4 * Math.sqrt(p * (1 - p) / rows), "class " + c);
        }
        Tensor mean = Tensor.randn(new Rng(2), DType.FLOAT64, rows, 1);
        double[] noise = Kfac.sampleGaussianTargets(mean, new Rng(3)).sub(mean).toDoubleArray();
        double m = 0, v = 0;
        for (double e : noise) m += e / rows;
        for (double e : noise) v += (e - m) * (e - m) / rows;
        assertEquals(0, m, 0.03);
        assertEquals(1, v, 0.05);
    }

    @Example
    void badTapsGetClearErrors() {
        Params p = Params.of("w", Tensor.zeros(DType.FLOAT64, 2, 3));
        Kfac kfac = Kfac.builder().build();
        Tensor x = Tensor.zeros(DType.FLOAT64, 4, 5), out = Tensor.zeros(DType.FLOAT64, 4, 2);
        Kfac.Curvature c = new Kfac.Curvature(List.of(new LayerTap("w", null, x, out)), List.of(out), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kfac.update(p, kfac.init(p), p, c));
        assertTrue(e.getMessage().contains("do not match its weight [2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Kfac.Curvature(List.of(new LayerTap("w", null, x, out)), List.of(), 4));
        assertThrows(IllegalArgumentException.class, () -> Kfac.builder().damping(0).build());
        Tensor nan = Tensor.full(Double.NaN, DType.FLOAT64, 4, 3), out2 = Tensor.zeros(DType.FLOAT64, 4, 2);
        Kfac.Curvature diverged = new Kfac.Curvature(List.of(new LayerTap("w", null, nan, out2)), List.of(out2), 4);
        e = assertThrows(IllegalArgumentException.class, () -> kfac.update(p, kfac.init(p), p, diverged));
        assertTrue(e.getMessage().startsWith("Kfac: factor A of w holds NaN"), e.getMessage());
    }

    // ---- the SPD inverse ------------------------------------------------------------------

    @Property(tries = 40)
    void spdInverseIsTheInverse(@ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 1, max = 12) int block,
                                @ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Tensor b = Tensor.randn(new Rng(seed), DType.FLOAT64, n, n);
        Tensor m = b.matmul(b.mT()).add(Tensor.of(dev.proxima.tensor.NDArray.eye(n, DType.FLOAT64)).mul(0.1));
        double[] inv = SpdInverse.invert(m.toDoubleArray(), n, "test", block); // small blocks: the recursion runs
        double[] prod = m.matmul(Tensor.of(inv, n, n)).toDoubleArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) assertEquals(i == j ? 1 : 0, prod[i * n + j], 1e-7, "(M M⁻¹)[" + i + "][" + j + "]");
    }

    @Example
    void spdInverseRejectsAnIndefiniteMatrix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpdInverse.invert(new double[] {1, 2, 2, 1}, 2, "Kfac: factor A of w"));
        assertTrue(e.getMessage().startsWith("Kfac: factor A of w: matrix is not positive definite (pivot 1"), e.getMessage());
        // found in the Schur complement of a later block too, named by its global index
        double[] m = new double[36];
        for (int i = 0; i < 6; i++) m[i * 6 + i] = i == 4 ? -1 : 1;
        e = assertThrows(IllegalArgumentException.class, () -> SpdInverse.invert(m, 6, "M", 2));
        assertTrue(e.getMessage().startsWith("M: matrix is not positive definite (pivot 4 is -1.0)"), e.getMessage());
    }
}
