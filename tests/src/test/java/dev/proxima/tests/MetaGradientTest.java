package dev.proxima.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.testkit.Gen;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Differentiating through an SGD update with respect to the learning rate (what APO does),
 * on L(θ) = ½ θᵀAθ − bᵀθ with A symmetric positive definite. The references are computed
 * here with plain double arithmetic, not with the code under test.
 */
class MetaGradientTest {

    /** A = QᵀQ + I (SPD), b, θ0, all as plain arrays. */
    private record Problem(int n, double[] a, double[] b, double[] theta0) {
        static Problem random(int n, SplittableRandom r) {
            double[] q = Gen.uniform(r, n * n, -1, 1), a = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double s = i == j ? 1 : 0;
                    for (int k = 0; k < n; k++) s += q[k * n + i] * q[k * n + j];
                    a[i * n + j] = s;
                }
            return new Problem(n, a, Gen.uniform(r, n, -1, 1), Gen.uniform(r, n, -1, 1));
        }

        double[] grad(double[] th) { // Aθ − b
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = -b[i];
                for (int j = 0; j < n; j++) g[i] += a[i * n + j] * th[j];
            }
            return g;
        }

        double[] times(double[] v) { // A v
            double[] r = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) r[i] += a[i * n + j] * v[j];
            return r;
        }

        double loss(double[] th) {
            return 0.5 * GradInputs.dot(th, times(th)) - GradInputs.dot(b, th);
        }

        /** θ after k SGD steps with learning rate eta. */
        double[] unroll(double[] th, double eta, int k) {
            for (int s = 0; s < k; s++) {
                double[] g = grad(th), next = new double[n];
                for (int i = 0; i < n; i++) next[i] = th[i] - eta * g[i];
                th = next;
            }
            return th;
        }

        Tensor lossOf(Tensor th) { // the same loss in Tensor ops
            return th.matmul(GradInputs.f64(a, n, n).matmul(th)).mul(0.5).sub(GradInputs.f64(b, n).matmul(th));
        }
    }

    /** θ_{k} from θ_{k-1} by SGD, its gradient taken by autograd with createGraph (so it depends on η). */
    private static Tensor sgdStep(Problem p, Tensor theta, Tensor eta) {
        Tensor g = Autograd.grad(List.of(p.lossOf(theta)), List.of(theta), null, true, true, false).get(0);
        return theta.sub(eta.mul(g));
    }

    @Property(tries = 50)
    void oneStepHasTheClosedForm(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll @DoubleRange(min = 0.01, max = 0.2) double lr,
                                 @ForAll long seed) {
        Problem p = Problem.random(n, new SplittableRandom(seed));
        Tensor eta = GradInputs.f64(new double[] {lr}).requiresGrad(true);
        Tensor theta0 = GradInputs.f64(p.theta0(), n).requiresGrad(true);
        Tensor theta1 = sgdStep(p, theta0, eta);
        double d = Autograd.grad(p.lossOf(theta1), eta).item();
        // dL(θ1)/dη = ∇L(θ1) · dθ1/dη = −∇L(θ1) · ∇L(θ0)
        double[] g0 = p.grad(p.theta0()), g1 = p.grad(p.unroll(p.theta0(), lr, 1));
        double expected = -GradInputs.dot(g1, g0);
        assertEquals(expected, d, 1e-10 * (1 + Math.abs(expected)));
    }

    @Property(tries = 50)
    void twoUnrolledStepsNeedTrueSecondOrderTerms(@ForAll @IntRange(min = 1, max = 6) int n,
                                                  @ForAll @DoubleRange(min = 0.01, max = 0.2) double lr, @ForAll long seed) {
        Problem p = Problem.random(n, new SplittableRandom(seed));
        Tensor eta = GradInputs.f64(new double[] {lr}).requiresGrad(true);
        Tensor theta0 = GradInputs.f64(p.theta0(), n).requiresGrad(true);
        Tensor theta2 = sgdStep(p, sgdStep(p, theta0, eta), eta);
        double d = Autograd.grad(p.lossOf(theta2), eta).item();

        // Closed form: g1 = (I − ηA) g0, θ2 = θ0 − η g0 − η g1,
        // dθ2/dη = −g0 − g1 + η A g0, dL(θ2)/dη = ∇L(θ2) · dθ2/dη.
        double[] g0 = p.grad(p.theta0()), g1 = p.grad(p.unroll(p.theta0(), lr, 1)), g2 = p.grad(p.unroll(p.theta0(), lr, 2));
        double[] ag0 = p.times(g0), dTheta = new double[n];
        for (int i = 0; i < n; i++) dTheta[i] = -g0[i] - g1[i] + lr * ag0[i];
        double expected = GradInputs.dot(g2, dTheta);
        assertEquals(expected, d, 1e-10 * (1 + Math.abs(expected)));

        // Without the η A g0 term (the first-order approximation), the answer differs, so the
        // check above does see the second-order term (unless it vanishes, which A g0 ≠ 0 rules out).
        double firstOrderOnly = GradInputs.dot(g2, negSum(g0, g1));
        if (Math.abs(lr * GradInputs.dot(g2, ag0)) > 1e-6) assertNotClose(firstOrderOnly, d);

        // And a central difference in η of the plain-array unroll.
        double h = 1e-6;
        double fd = (p.loss(p.unroll(p.theta0(), lr + h, 2)) - p.loss(p.unroll(p.theta0(), lr - h, 2))) / (2 * h);
        assertEquals(fd, d, 1e-6 * (1 + Math.abs(fd)));
    }

    @Property(tries = 20)
    void fiveUnrolledStepsAgreeWithFiniteDifferences(@ForAll @IntRange(min = 1, max = 5) int n,
                                                     @ForAll @DoubleRange(min = 0.01, max = 0.15) double lr, @ForAll long seed) {
        Problem p = Problem.random(n, new SplittableRandom(seed));
        Tensor eta = GradInputs.f64(new double[] {lr}).requiresGrad(true);
        Tensor theta = GradInputs.f64(p.theta0(), n).requiresGrad(true);
        for (int k = 0; k < 5; k++) theta = sgdStep(p, theta, eta);
        double d = Autograd.grad(p.lossOf(theta), eta).item();
        double h = 1e-6;
        double fd = (p.loss(p.unroll(p.theta0(), lr + h, 5)) - p.loss(p.unroll(p.theta0(), lr - h, 5))) / (2 * h);
        assertEquals(fd, d, 1e-6 * (1 + Math.abs(fd)));
    }

    private static double[] negSum(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = -a[i] - b[i];
        return r;
    }

    private static void assertNotClose(double a, double b) {
        if (Math.abs(a - b) <= 1e-9 * (1 + Math.abs(a))) throw new AssertionError("expected a difference: " + a + " vs " + b);
    }
}
