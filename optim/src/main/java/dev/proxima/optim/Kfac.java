package dev.proxima.optim;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * KFAC: Kronecker-factored approximate curvature (Martens and Grosse, "Optimizing Neural
 * Networks with Kronecker-factored Approximate Curvature", ICML 2015; convolutions as in
 * Grosse and Martens, "A Kronecker-factored approximate Fisher matrix for convolution
 * layers", ICML 2016). The second-order baseline APO-Precond is compared with.
 *
 * <p><b>What it computes.</b> For each tapped layer ({@link LayerTap}: {@code output = input
 * · Wᵀ + bias} over {@code rows}) the Fisher block of {@code [W | bias]} is approximated by
 * {@code A ⊗ G} with
 * <pre>
 *   A = (1/rows) Σ_r ā_r ā_rᵀ        ā = [input row, 1]  (the 1 only when the layer has a bias)
 *   G = (1/N)    Σ_r g_r g_rᵀ        g = N · ∂loss/∂output row
 * </pre>
 * where {@code N} ({@code batchSize}) is the number of terms the loss is a mean over: the
 * batch size for a mean over examples, batch × sequence length for a mean over tokens. (A
 * loss that also averages over output units, as a mean squared error does, scales G by a
 * constant: only its size relative to the damping changes.)
 * Scaling the output gradients by N turns them into per-example gradients, as in the paper;
 * for a Linear layer (rows = N) both are plain means over the batch, and for a convolution
 * (rows = N × positions) {@code A ⊗ G} equals KFC's {@code Ω ⊗ Γ}. Factors are running
 * averages {@code F ← ε F + (1 − ε) F_batch} with {@code ε = min(statDecay, 1 − 1/k)} at the
 * k-th step (the paper's schedule, so the first step takes the batch statistics whole).
 * Every {@code inverseEvery} steps (and at the first) the damped factors are inverted in
 * float64 (Cholesky): with factored Tikhonov damping (the paper's π-trick, section 6.3)
 * {@code Â = A + π√λ I}, {@code Ĝ = G + (√λ/π) I}, {@code π = sqrt((tr A / dim A) / (tr G / dim G))};
 * without it, {@code √λ} is added to both. The preconditioned gradient of {@code [W | b]}
 * is {@code Ĝ⁻¹ [∇W | ∇b] Â⁻¹}, i.e. {@code (Â ⊗ Ĝ)⁻¹ vec[∇W | ∇b]}; a Conv2d weight
 * {@code [O, C, kh, kw]} is treated as the matrix {@code [O, C·kh·kw]} its tap uses.
 * Optionally (KL clipping, {@code klClip > 0}, from Ba, Grosse and Martens, "Distributed
 * second-order optimization using Kronecker-factored approximations", ICLR 2017, as in the
 * common PyTorch implementations) all preconditioned gradients are scaled by
 * {@code min(1, sqrt(klClip / (lr² Σ <pre, grad>)))}. Then SGD with momentum (PyTorch's form)
 * steps along them; parameters without a tap (norm layers, embeddings) take plain
 * SGD-momentum steps on their gradients.
 *
 * <p><b>Which Fisher.</b> {@code G} is built from whatever output gradients the caller
 * passes. From the batch loss with its real labels ({@link #gradients}) it is the
 * <em>empirical</em> Fisher, which shrinks with the residuals and slows KFAC down as the fit
 * improves; the paper's <em>true</em> Fisher uses targets sampled from the model's predictive
 * distribution: pass {@link #curvature} a loss with sampled targets ({@link #sampleLabels}
 * for a softmax, {@link #sampleGaussianTargets} for half squared error) and take the
 * parameter gradients from the real loss.
 *
 * <p><b>Lifecycle.</b> Each step needs the taps of the forward pass and the gradients of the
 * loss with respect to the taps' outputs. The usual loop:
 * <pre>{@code
 *   Kfac kfac = Kfac.builder().lr(0.01).build();
 *   Kfac.State s = kfac.init(params);
 *   Tapped t = model.applyTapped(params, x);             // nn's Module
 *   Tensor loss = lossOf(t.output(), y);
 *   Kfac.Gradients g = Kfac.gradients(loss, params, t.taps(), x.shape(0));   // one backward pass
 *   Update<Kfac.State> u = kfac.update(g.grads(), s, params, g.curvature());
 *   params = u.applyTo(params); s = u.state();
 * }</pre>
 * The curvature is an argument of each step, not something the optimizer reads from the
 * side: {@link #rule(Curvature)} binds one step's curvature into an {@link UpdateRule} to
 * compose in a {@link Chain}; train's {@code Learner.kfac} runs this loop.
 *
 * <p>Defaults: lr 0.01 (ours), momentum 0.9 (paper, section 7), damping λ 1e-3 (ours; the
 * paper adapts it with Levenberg-Marquardt, which we do not), statDecay 0.95 (paper),
 * inverseEvery 20 (paper's T3), factored damping on (paper), klClip 1e-3 (common PyTorch
 * implementations), weight decay 0. The factor statistics and inverses are not
 * differentiable (they are computed on float64 arrays); the step is differentiable in a
 * tensor learning rate, like the other rules.
 */
public final class Kfac {

    /** The curvature information of one step: the taps, the loss gradients at their outputs, N. */
    public record Curvature(List<LayerTap> taps, List<Tensor> outputGrads, int batchSize) {
        public Curvature {
            taps = List.copyOf(taps);
            outputGrads = List.copyOf(outputGrads);
            if (taps.size() != outputGrads.size())
                throw new IllegalArgumentException("Kfac.Curvature: " + taps.size() + " taps but " + outputGrads.size() + " output gradients");
            if (batchSize <= 0) throw new IllegalArgumentException("Kfac.Curvature: batchSize " + batchSize + " must be > 0");
            for (int i = 0; i < taps.size(); i++)
                if (!java.util.Arrays.equals(taps.get(i).output().shape(), outputGrads.get(i).shape()))
                    throw new IllegalArgumentException("Kfac.Curvature: tap " + taps.get(i).weight() + " has output " + Shapes.str(taps.get(i).output().shape())
                            + " but its gradient is " + Shapes.str(outputGrads.get(i).shape()));
        }
    }

    /** Parameter gradients and the curvature of the same backward pass. */
    public record Gradients(Params grads, Curvature curvature) {}

    /**
     * One layer's factors: running averages {@code a}, {@code g} (float64, on the CPU), and
     * the damped inverses used for preconditioning (parameter dtype and device).
     */
    public record Factors(Tensor a, Tensor g, Tensor aInverse, Tensor gInverse) {}

    /**
     * @param step     updates taken so far
     * @param factors  per tapped weight name, its factors (insertion-ordered, read-only)
     * @param momentum the momentum buffers (empty when momentum is off)
     */
    public record State(long step, Map<String, Factors> factors, Params momentum) {
        public State {
            factors = Collections.unmodifiableMap(new LinkedHashMap<>(factors));
            Objects.requireNonNull(momentum);
        }
    }

    private final Hyper lr, momentum, weightDecay;
    private final double damping, statDecay, klClip;
    private final int inverseEvery;
    private final boolean factoredDamping;

    private Kfac(Builder b) {
        lr = b.lr; momentum = b.momentum; weightDecay = b.weightDecay;
        damping = b.damping; statDecay = b.statDecay; klClip = b.klClip; inverseEvery = b.inverseEvery; factoredDamping = b.factoredDamping;
        Trees.requireNonNegative("Kfac", "learning rate", lr);
        Trees.requireNonNegative("Kfac", "momentum", momentum);
        Trees.requireNonNegative("Kfac", "weight decay", weightDecay);
        Trees.requirePositive("Kfac", "damping", damping);
        Trees.requireFraction("Kfac", "statDecay", statDecay, false);
        Trees.requireNonNegative("Kfac", "klClip", klClip);
        if (inverseEvery <= 0) throw new IllegalArgumentException("Kfac: inverseEvery must be >= 1, got " + inverseEvery);
    }

    public static Builder builder() {
        return new Builder();
    }

    public double damping() { return damping; }
    public int inverseEvery() { return inverseEvery; }
    public Hyper lr() { return lr; }

    /**
     * The gradients of {@code loss} with respect to {@code params} and to every tap's output,
     * in one backward pass (the graph is released).
     */
    public static Gradients gradients(Tensor loss, Params params, List<LayerTap> taps, int batchSize) {
        List<Tensor> targets = new ArrayList<>(params.values());
        for (LayerTap t : taps) targets.add(t.output());
        List<Tensor> g = Autograd.grad(List.of(loss), targets, null, false, false, false);
        int n = params.size();
        return new Gradients(params.withValues(g.subList(0, n)), new Curvature(taps, g.subList(n, g.size()), batchSize));
    }

    /**
     * The gradients of {@code loss} with respect to the taps' outputs only; the graph is
     * kept, so {@code loss.backward()} can follow.
     */
    public static Curvature curvature(Tensor loss, List<LayerTap> taps, int batchSize) {
        List<Tensor> outputs = taps.stream().map(LayerTap::output).toList();
        return new Curvature(taps, Autograd.grad(List.of(loss), outputs, null, true, false, false), batchSize);
    }

    /**
     * Labels drawn from the categorical distributions a model predicts, one per row of
     * {@code logits [rows, classes]} (INT32 {@code [rows]}): the targets of the true Fisher
     * for a softmax cross-entropy loss. Pass {@link #curvature} the loss with these labels.
     */
    public static Tensor sampleLabels(Tensor logits, Rng rng) {
        if (logits.ndim() != 2)
            throw new IllegalArgumentException("Kfac.sampleLabels: logits must be [rows, classes], got " + Shapes.str(logits.shape()));
        int rows = logits.shape(0), classes = logits.shape(1);
        double[] p = logits.detach().to(DType.FLOAT64).softmax(1).toDoubleArray();
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            double u = rng.nextDouble(), acc = 0;
            int c = 0;
            while (c < classes - 1 && u >= (acc += p[r * classes + c])) c++;
            labels[r] = c;
        }
        return Tensor.of(NDArray.of(labels, rows).to(logits.device()));
    }

    /**
     * Targets drawn from {@code N(output, I)}: the true-Fisher targets for a half squared error
     * loss (for a plain squared error, whose Gaussian has variance 1/2, G is twice as large; only
     * its scale relative to the damping changes).
     */
    public static Tensor sampleGaussianTargets(Tensor output, Rng rng) {
        Tensor mean = output.detach();
        return mean.add(Tensor.of(NDArray.randn(rng, mean.dtype(), mean.shape()).to(mean.device())));
    }

    public State init(Params params) {
        return new State(0, Map.of(), momentum.isZero() ? Params.empty() : Trees.zerosLike(params));
    }

    /**
     * One KFAC step; see the class comment. The curvature is this step's: the taps of its
     * forward pass and the loss gradients at their outputs. Returns the updates (the step to
     * add to the parameters, {@link Update#applyTo}) and the next state.
     */
    public Update<State> update(Params grads, State state, Params params, Curvature curvature) {
        Trees.requireCongruent("Kfac.update", grads, params);
        Objects.requireNonNull(curvature, "Kfac.update: curvature (taps and output gradients) is required");
        if (!weightDecay.isZero())
            grads = grads.mapWithName((name, g) -> { Tensor p = params.get(name); return g.add(p.mul(Trees.cast(weightDecay.scalar(name, p), p))); });

        boolean invert = state.step() % inverseEvery == 0;
        double eps = Math.min(statDecay, 1 - 1.0 / (state.step() + 1));
        Map<String, Factors> factors = new LinkedHashMap<>(state.factors());
        Map<String, Tensor> directions = new HashMap<>();
        double vg = 0; // Σ <preconditioned, raw> for KL clipping
        for (int i = 0; i < curvature.taps().size(); i++) {
            LayerTap tap = curvature.taps().get(i);
            String w = tap.weight();
            if (directions.containsKey(w) || (tap.bias() != null && directions.containsKey(tap.bias())))
                throw new IllegalArgumentException("Kfac.update: weight " + w + " is tapped twice");
            Tensor weight = params.get(w);
            int out = weight.shape(0), in = weight.size() / Math.max(out, 1);
            if (tap.input().shape(1) != in || tap.output().shape(1) != out)
                throw new IllegalArgumentException("Kfac.update: tap " + w + " has input " + Shapes.str(tap.input().shape()) + " and output "
                        + Shapes.str(tap.output().shape()) + ", which do not match its weight " + Shapes.str(weight.shape()));
            boolean hasBias = tap.bias() != null;
            Factors f = accumulate(factors.get(w), tap, curvature.outputGrads().get(i), curvature.batchSize(), hasBias, eps);
            if (invert || f.aInverse() == null) f = invert(f, w, weight);
            factors.put(w, f);

            Tensor gw = grads.get(w).reshape(out, in);
            Tensor gm = hasBias ? Tensor.concat(1, gw, grads.get(tap.bias()).reshape(out, 1)) : gw;
            Tensor pre = f.gInverse().matmul(gm).matmul(f.aInverse());
            if (klClip > 0) vg += pre.mul(gm).sum().item();
            if (hasBias) {
                Tensor[] parts = pre.split(1, in, 1);
                directions.put(w, parts[0].reshape(weight.shape()));
                directions.put(tap.bias(), parts[1].reshape(params.get(tap.bias()).shape()));
            } else {
                directions.put(w, pre.reshape(weight.shape()));
            }
        }
        double nu = 1;
        if (klClip > 0 && vg > 0) {
            double rate = Trees.learningRate(lr, null, state.step());
            if (Double.isNaN(rate))
                throw new IllegalArgumentException("Kfac: KL clipping needs one learning rate, not one per parameter; set klClip(0)");
            nu = Math.min(1, Math.sqrt(klClip / (rate * rate * vg)));
        }

        List<Tensor> updates = new ArrayList<>(params.size()), bufs = new ArrayList<>(params.size());
        for (String name : params.names()) {
            Tensor p = params.get(name);
            Tensor d = directions.containsKey(name) ? (nu == 1 ? directions.get(name) : directions.get(name).mul(nu)) : grads.get(name);
            if (!momentum.isZero()) {
                Tensor buf = state.step() == 0 ? d : state.momentum().get(name).mul(Trees.cast(momentum.scalar(name, p), p)).add(d);
                bufs.add(buf);
                d = buf;
            }
            updates.add(d.mul(Trees.cast(lr.scalar(name, p), p)).neg());
        }
        return new Update<>(params.withValues(updates), new State(state.step() + 1, factors, momentum.isZero() ? state.momentum() : params.withValues(bufs)));
    }

    /** The layer's running factors after this batch. */
    private static Factors accumulate(Factors old, LayerTap tap, Tensor outputGrad, int batchSize, boolean hasBias, double eps) {
        Tensor a = tap.input().detach(), g = outputGrad.detach();
        int rows = a.shape(0);
        if (hasBias) a = Tensor.concat(1, a, Tensor.of(NDArray.full(1, a.dtype(), a.device(), rows, 1)));
        Tensor aBatch = a.mT().matmul(a).to(DType.FLOAT64).to(Device.cpu()).div(rows);
        Tensor gBatch = g.mT().matmul(g).to(DType.FLOAT64).to(Device.cpu()).mul((double) batchSize);
        if (old == null || eps == 0) return new Factors(aBatch, gBatch, old == null ? null : old.aInverse(), old == null ? null : old.gInverse());
        return new Factors(old.a().mul(eps).add(aBatch.mul(1 - eps)), old.g().mul(eps).add(gBatch.mul(1 - eps)), old.aInverse(), old.gInverse());
    }

    /** The factors with fresh damped inverses, in {@code like}'s dtype and on its device. */
    private Factors invert(Factors f, String name, Tensor like) {
        int na = f.a().shape(0), ng = f.g().shape(0);
        double[] a = f.a().toDoubleArray(), g = f.g().toDoubleArray();
        requireFinite(a, "A", name);
        requireFinite(g, "G", name);
        double root = Math.sqrt(damping), pi = 1;
        if (factoredDamping) {
            double ta = trace(a, na) / na, tg = trace(g, ng) / ng;
            if (ta > 0 && tg > 0) pi = Math.sqrt(ta / tg);
        }
        double[] ai = SpdInverse.invert(addDiagonal(a, na, pi * root), na, "Kfac: factor A of " + name);
        double[] gi = SpdInverse.invert(addDiagonal(g, ng, root / pi), ng, "Kfac: factor G of " + name);
        return new Factors(f.a(), f.g(), upload(ai, na, like), upload(gi, ng, like));
    }

    private static void requireFinite(double[] m, String which, String name) {
        for (double x : m)
            if (!Double.isFinite(x))
                throw new IllegalArgumentException("Kfac: factor " + which + " of " + name + " holds " + x
                        + " (the activations or output gradients were not finite: did training diverge? try a smaller lr or klClip)");
    }

    private static Tensor upload(double[] m, int n, Tensor like) {
        return Tensor.of(NDArray.of(m, n, n).to(like.dtype()).to(like.device()));
    }

    private static double trace(double[] m, int n) {
        double t = 0;
        for (int i = 0; i < n; i++) t += m[i * n + i];
        return t;
    }

    private static double[] addDiagonal(double[] m, int n, double d) {
        double[] r = m.clone();
        for (int i = 0; i < n; i++) r[i * n + i] += d;
        return r;
    }

    /**
     * This optimizer's step for one batch as an {@link UpdateRule}, with that batch's
     * curvature bound: to compose it in a {@link Chain} (e.g. after a clipping), build the
     * chain anew each step around the step's curvature; its state (and this rule's,
     * {@link State}) carries over from step to step, as with {@code withLr} for APO:
     * <pre>{@code
     *   Chain.State s = Chain.of(clip, kfac.rule(first)).init(params);
     *   ... each step: Update<Chain.State> u = Chain.of(clip, kfac.rule(curvature)).update(grads, s, params);
     * }</pre>
     */
    public UpdateRule<State> rule(Curvature curvature) {
        Objects.requireNonNull(curvature, "Kfac.rule: curvature (taps and output gradients) is required");
        Kfac self = this;
        return new UpdateRule<>() {
            @Override public State init(Params params) { return self.init(params); }
            @Override public Update<State> update(Params grads, State state, Params params) { return self.update(grads, state, params, curvature); }
            @Override public double learningRate(State state) { return self.learningRate(state); }
            @Override public String toString() { return self.toString(); }
        };
    }

    /** The learning rate of the next step (NaN when it differs per parameter). */
    public double learningRate(State state) {
        return Trees.learningRate(lr, null, state.step());
    }

    @Override
    public String toString() {
        return "Kfac(lr=" + lr + ", momentum=" + momentum + ", damping=" + damping + ", factoredDamping=" + factoredDamping
                + ", statDecay=" + statDecay + ", inverseEvery=" + inverseEvery + ", klClip=" + klClip + ", weightDecay=" + weightDecay + ")";
    }

    /** Settings of a {@link Kfac}; the defaults and their sources are in the class comment. */
    public static final class Builder {
        private Hyper lr = Hyper.of(0.01), momentum = Hyper.of(0.9), weightDecay = Hyper.of(0);
        private double damping = 1e-3, statDecay = 0.95, klClip = 1e-3;
        private int inverseEvery = 20;
        private boolean factoredDamping = true;

        private Builder() {}

        public Builder lr(double v) { return lr(Hyper.of(v)); }
        public Builder lr(Tensor v) { return lr(Hyper.of(v)); }
        public Builder lr(Hyper v) { lr = Objects.requireNonNull(v); return this; }
        public Builder momentum(double v) { return momentum(Hyper.of(v)); }
        public Builder momentum(Hyper v) { momentum = Objects.requireNonNull(v); return this; }
        public Builder weightDecay(double v) { return weightDecay(Hyper.of(v)); }
        public Builder weightDecay(Hyper v) { weightDecay = Objects.requireNonNull(v); return this; }
        /** Tikhonov damping λ (> 0). */
        public Builder damping(double v) { damping = v; return this; }
        /** ε of the running averages, in [0, 1). */
        public Builder statDecay(double v) { statDecay = v; return this; }
        /** Recompute the inverses every this many steps (and at the first). */
        public Builder inverseEvery(int v) { inverseEvery = v; return this; }
        /** The π-trick of factored Tikhonov damping (on by default). */
        public Builder factoredDamping(boolean v) { factoredDamping = v; return this; }
        /** KL clipping of the step; 0 turns it off. */
        public Builder klClip(double v) { klClip = v; return this; }

        public Kfac build() { return new Kfac(this); }
    }
}
