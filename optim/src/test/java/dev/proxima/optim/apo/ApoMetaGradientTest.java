package dev.proxima.optim.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The meta-gradient ∇_φ Q that {@link Apo} takes from autograd, against a closed form on a
 * quadratic and against central finite differences of Q in float64 on a small MLP, for
 * APO-LR (global and per layer, one and two lookahead steps) and APO-Precond (L, R, the
 * diagonal factors and η).
 */
class ApoMetaGradientTest {
    private static final DType F64 = DType.FLOAT64;

    /** ∇_φ Q as Apo's meta-step computes it. */
    private static <S> Params autogradMetaGradient(Apo<S> apo, Params meta, Params theta, S state, Params grads,
                                                   Tensor x, Tensor y, Tensor xMeta) {
        Params phi = meta.requiresGrad();
        Tensor q = apo.metaObjective(phi, theta, state, grads, x, y, xMeta);
        return Autograd.grad(q, phi);
    }

    private static Params gradientAt(java.util.function.BiFunction<Params, Tensor, Tensor> model,
                                     java.util.function.BiFunction<Tensor, Tensor, Tensor> loss, Params theta, Tensor x, Tensor y) {
        Params leaves = theta.requiresGrad();
        return Autograd.grad(loss.apply(model.apply(leaves, x), y), leaves);
    }

    /**
     * Linear regression f(x, w) = x·w with J = ½·mean((xw − y)²), momentum direction
     * d = μ·buf + ∇J, θ' = w − η·d, ρ = half squared error:
     * dQ/dη = −dᵀ∇J(θ') + λ_FSD·η·mean((x'd)²) + λ_WSD·η·||d||², and ∂Q/∂log η = η·dQ/dη.
     */
    @Property(tries = 40)
    void quadraticLogLrGradientMatchesClosedForm(@ForAll @IntRange(min = 1, max = 6) int p, @ForAll @IntRange(min = 1, max = 9) int n,
                                                 @ForAll @DoubleRange(min = -5, max = 0.5) double logLr,
                                                 @ForAll @DoubleRange(min = 0, max = 2) double lambdaFsd,
                                                 @ForAll @DoubleRange(min = 0, max = 2) double lambdaWsd, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Tensor x = ApoFixtures.randn(rng, F64, n, p), y = ApoFixtures.randn(rng, F64, n, 1), xMeta = ApoFixtures.randn(rng, F64, n + 1, p);
        Params theta = Params.of("w", ApoFixtures.randn(rng, F64, p, 1));
        Params buf = Params.of("w", ApoFixtures.randn(rng, F64, p, 1));
        double mu = 0.9;
        ApoConfig config = ApoConfig.builder().lambdaFsd(lambdaFsd).lambdaWsd(lambdaWsd).divergence(Divergence.HALF_SQUARED_ERROR).build();
        java.util.function.BiFunction<Params, Tensor, Tensor> model = (q, in) -> in.matmul(q.get("w"));
        Apo<Params> apo = new Apo<>(new ApoLr<>(ApoFixtures.momentum(mu, buf), config), model, ApoFixtures.HALF_MSE, theta, config);
        Params grads = gradientAt(model, ApoFixtures.HALF_MSE, theta, x, y);
        Params meta = Params.of(ApoLr.GLOBAL, Tensor.of(NDArray.scalar(logLr, F64, dev.proxima.tensor.Device.cpu())));
        double got = autogradMetaGradient(apo, meta, theta, buf, grads, x, y, xMeta).get(ApoLr.GLOBAL).item();

        double eta = Math.exp(logLr);
        double[] w = theta.get("w").toDoubleArray(), g = grads.get("w").toDoubleArray(), b = buf.get("w").toDoubleArray();
        double[] d = new double[p], ahead = new double[p];
        for (int i = 0; i < p; i++) {
            d[i] = mu * b[i] + g[i];
            ahead[i] = w[i] - eta * d[i];
        }
        double[] xs = x.toDoubleArray(), ys = y.toDoubleArray(), xm = xMeta.toDoubleArray();
        double[] gradAhead = new double[p]; // ∇J(θ') = xᵀ(xθ' − y)/n
        for (int r = 0; r < n; r++) {
            double res = -ys[r];
            for (int i = 0; i < p; i++) res += xs[r * p + i] * ahead[i];
            for (int i = 0; i < p; i++) gradAhead[i] += xs[r * p + i] * res / n;
        }
        double dQ = 0, meanXd2 = 0, d2 = 0;
        for (int i = 0; i < p; i++) {
            dQ -= d[i] * gradAhead[i];
            d2 += d[i] * d[i];
        }
        for (int r = 0; r <= n; r++) {
            double xd = 0;
            for (int i = 0; i < p; i++) xd += xm[r * p + i] * d[i];
            meanXd2 += xd * xd / (n + 1);
        }
        dQ += lambdaFsd * eta * meanXd2 + lambdaWsd * eta * d2;
        double expected = eta * dQ;
        assertEquals(expected, got, 1e-10 * (1 + Math.abs(expected)), "∂Q/∂log η");
    }

    /** Central differences of Q in every scalar of φ, against autograd's ∇_φ Q. */
    private static <S> void checkAgainstFiniteDifferences(Apo<S> apo, Params meta, Params theta, S state, Params grads,
                                                          Tensor x, Tensor y, Tensor xMeta, String what) {
        Params auto = autogradMetaGradient(apo, meta, theta, state, grads, x, y, xMeta);
        double h = 1e-6;
        int checked = 0;
        for (Map.Entry<String, Tensor> e : meta) {
            String name = e.getKey();
            double[] base = e.getValue().toDoubleArray(), got = auto.get(name).toDoubleArray();
            for (int i = 0; i < base.length; i++) {
                double[] plus = base.clone(), minus = base.clone();
                plus[i] += h;
                minus[i] -= h;
                double qp, qm;
                try (var off = Autograd.noGrad()) {
                    qp = apo.metaObjective(meta.with(name, Tensor.of(plus, e.getValue().shape())), theta, state, grads, x, y, xMeta).item();
                    qm = apo.metaObjective(meta.with(name, Tensor.of(minus, e.getValue().shape())), theta, state, grads, x, y, xMeta).item();
                }
                double fd = (qp - qm) / (2 * h);
                assertEquals(fd, got[i], 1e-6 * (1 + Math.abs(fd)), what + ": ∂Q/∂" + name + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked == meta.numel());
    }

    private record Problem(Params theta, Tensor x, Tensor y, Tensor xMeta) {}

    private static Problem classification(Rng rng) {
        Params theta = ApoFixtures.mlpParams(rng, F64, 4, 5, 3);
        return new Problem(theta, ApoFixtures.randn(rng, F64, 6, 4), ApoFixtures.oneHot(rng, 6, 3, F64), ApoFixtures.randn(rng, F64, 7, 4));
    }

    @Property(tries = 6)
    void mlpLrGradientMatchesFiniteDifferences(@ForAll boolean perLayer, @ForAll @IntRange(min = 1, max = 2) int lookahead,
                                               @ForAll long seed) {
        Rng rng = new Rng(seed);
        Problem pr = classification(rng);
        Params buf = pr.theta().map(t -> t.mul(0.3));
        ApoConfig config = ApoConfig.builder().perLayerLr(perLayer).lookaheadSteps(lookahead).lambdaFsd(0.7).lambdaWsd(0.3)
                .divergence(Divergence.KL).initialLr(0.3).build();
        ApoLr<Params> rule = new ApoLr<>(ApoFixtures.momentum(0.9, buf), config);
        Apo<Params> apo = new Apo<>(rule, ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, pr.theta(), config);
        Params meta = rule.initMeta(pr.theta()).map(t -> t.add(rng.nextDouble() * 0.5 - 0.25));
        assertEquals(perLayer ? 2 : 1, meta.size());
        Params grads = gradientAt(ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, pr.theta(), pr.x(), pr.y());
        checkAgainstFiniteDifferences(apo, meta, pr.theta(), buf, grads, pr.x(), pr.y(), pr.xMeta(),
                "APO-LR " + (perLayer ? "per-layer" : "global") + ", lookahead " + lookahead);
    }

    /**
     * APO-LR over optim's own rules (SGD with Nesterov momentum, Adam, RMSProp), with their
     * state mid-run and a two-step lookahead: the second step differentiates through the rule
     * itself (Adam's moments of a gradient that depends on η), against finite differences.
     */
    @Property(tries = 6)
    void apoLrOverOptimRulesMatchesFiniteDifferences(@ForAll @IntRange(max = 2) int which, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Problem pr = classification(rng);
        dev.proxima.optim.UpdateRule<?>[] rules = {
                dev.proxima.optim.Sgd.builder().lr(1).momentum(0.9).nesterov(true).build(),
                dev.proxima.optim.Adam.builder().lr(1).epsRoot(1e-12).build(),
                dev.proxima.optim.RmsProp.builder().lr(1).build()};
        checkOverRule(rules[which], pr, rng);
    }

    private static <S> void checkOverRule(dev.proxima.optim.UpdateRule<S> rule, Problem pr, Rng rng) {
        ApoConfig config = ApoConfig.builder().perLayerLr(true).lookaheadSteps(2).lambdaFsd(0.5).lambdaWsd(0.1)
                .initialLr(rule instanceof dev.proxima.optim.Sgd ? 0.2 : 0.01).build();
        ApoLr<S> apoLr = ApoLr.over(rule, config);
        Apo<S> apo = new Apo<>(apoLr, ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, pr.theta(), config);
        // a state from two earlier steps, so momentum and moments are not at their start
        S state = apoLr.init(pr.theta());
        Params theta = pr.theta();
        for (int t = 0; t < 2; t++) {
            Params g = gradientAt(ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, theta, pr.xMeta().slice(0, 0, 6), pr.y());
            var u = rule.update(g, state, theta);
            theta = theta.zip(u.applyTo(theta), (a, b) -> a.add(b.sub(a).mul(0.01)).detach());
            state = u.state();
        }
        Params meta = apoLr.initMeta(theta).map(t -> t.add(rng.nextDouble() * 0.4 - 0.2));
        Params grads = gradientAt(ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, theta, pr.x(), pr.y());
        checkAgainstFiniteDifferences(apo, meta, theta, state, grads, pr.x(), pr.y(), pr.xMeta(), "APO-LR over " + rule);
    }

    @Property(tries = 4)
    void mlpPrecondGradientMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 2) int lookahead, @ForAll long seed) {
        Rng rng = new Rng(seed);
        Problem pr = classification(rng);
        // maxDim 4: layer 0's 5 outputs get a diagonal left factor, layer 1's 5 inputs a
        // diagonal right one; the other sides are full matrices.
        ApoConfig config = ApoConfig.builder().precondMaxDim(4).lookaheadSteps(lookahead).lambdaFsd(0.5).lambdaWsd(0.2)
                .initialLr(0.2).build();
        ApoPrecond rule = new ApoPrecond(config);
        Apo<Params> apo = new Apo<>(rule, ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, pr.theta(), config);
        Params meta = rule.initMeta(pr.theta());
        List<String> expectedNames = List.of("lr", "l.0.weight", "R.0.weight", "d.0.bias", "L.1.weight", "r.1.weight", "d.1.bias");
        assertEquals(expectedNames, new ArrayList<>(meta.names()));
        // Away from the identity, where a symmetric start could hide a transposed factor.
        meta = meta.map(t -> t.add(ApoFixtures.randn(rng, F64, t.shape()).mul(0.2)));
        Params buf = pr.theta().map(t -> ApoFixtures.randn(rng, F64, t.shape()).mul(0.3));
        Params grads = gradientAt(ApoFixtures.MLP, ApoFixtures.CROSS_ENTROPY, pr.theta(), pr.x(), pr.y());
        checkAgainstFiniteDifferences(apo, meta, pr.theta(), buf, grads, pr.x(), pr.y(), pr.xMeta(), "APO-Precond lookahead " + lookahead);
    }

    /** The preconditioned step is −η·L·M·R on the weight's matrix view, and elementwise on a bias. */
    @Property(tries = 20)
    void precondStepIsLeftTimesMomentumTimesRight(@ForAll long seed) {
        Rng rng = new Rng(seed);
        Params theta = Params.of("c.weight", ApoFixtures.randn(rng, F64, 3, 2, 2, 2), "c.bias", ApoFixtures.randn(rng, F64, 3));
        ApoConfig config = ApoConfig.builder().initialLr(0.5).build();
        ApoPrecond rule = new ApoPrecond(config);
        Params meta = rule.initMeta(theta).map(t -> t.add(ApoFixtures.randn(rng, F64, t.shape()).mul(0.3)));
        Params m = theta.map(t -> ApoFixtures.randn(rng, F64, t.shape()));
        Params next = rule.apply(theta, m, meta);
        double eta = Math.exp(meta.get("lr").item());
        Tensor l = meta.get("L.c.weight"), r = meta.get("R.c.weight");
        assertEquals(List.of(3, 3), List.of(l.shape(0), l.shape(1)));
        assertEquals(List.of(8, 8), List.of(r.shape(0), r.shape(1)));
        double[] lv = l.toDoubleArray(), rv = r.toDoubleArray(), mv = m.get("c.weight").toDoubleArray();
        double[] w = theta.get("c.weight").toDoubleArray(), got = next.get("c.weight").toDoubleArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 8; j++) {
                double s = 0;
                for (int a = 0; a < 3; a++) for (int c = 0; c < 8; c++) s += lv[i * 3 + a] * mv[a * 8 + c] * rv[c * 8 + j];
                assertEquals(w[i * 8 + j] - eta * s, got[i * 8 + j], 1e-12);
            }
        double[] b = theta.get("c.bias").toDoubleArray(), dv = meta.get("d.c.bias").toDoubleArray(), mb = m.get("c.bias").toDoubleArray();
        for (int i = 0; i < 3; i++) assertEquals(b[i] - eta * dv[i] * mb[i], next.get("c.bias").toDoubleArray()[i], 1e-12);
    }
}
