package dev.proxima.optim.apo;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * APO-Precond: a structured preconditioner learned by APO. For a weight W viewed as a matrix
 * {@code [out, in]} (a convolution's {@code [out, in, kh, kw]} as {@code [out, in·kh·kw]}) the
 * step is
 * <pre>ΔW = −η · L · M · R</pre>
 * where M is the momentum sum of the gradients (m ← μ·m + g, heavy ball as PyTorch's SGD; up to
 * 1/(1−μ) times the gradient, not an average), L is {@code [out, out]} and R is
 * {@code [in, in]}, both meta-learned from the identity. A side longer than
 * {@link ApoConfig#precondMaxDim()} gets a diagonal factor instead of a full one (a vector that
 * scales the rows or the columns), and a bias (any parameter of fewer than two axes) gets a
 * diagonal elementwise factor. η is a meta-learned global rate in log space: always one
 * ({@link ApoConfig#perLayerLr()} is APO-LR's setting and is ignored here).
 *
 * <p>The Kronecker structure L ⊗ R is the paper's connection to KFAC; this exact
 * parameterization (two free factors, identity start, learned log η, momentum before the
 * preconditioner) is ours. Nothing is inverted: a step is two matrix products per layer,
 * which is why it stays usable in low precision.
 *
 * <p>Meta-parameter names: {@code "lr"}; {@code "L." + weight} / {@code "R." + weight} for full
 * factors, {@code "l." + weight} / {@code "r." + weight} for diagonal ones, {@code "d." + name}
 * for a bias's factor.
 */
public final class ApoPrecond implements ApoRule<Params> {
    private final ApoConfig config;

    public ApoPrecond(ApoConfig config) {
        this.config = config;
    }

    /** Momentum buffers, zero at the start (the state is null when momentum is 0). */
    @Override
    public Params init(Params params) {
        return config.precondMomentum() == 0 ? null : params.map(p -> Tensor.of(NDArray.zeros(p.dtype(), p.device(), p.shape())));
    }

    @Override
    public Params initMeta(Params params) {
        LinkedHashMap<String, Tensor> meta = new LinkedHashMap<>();
        Tensor first = params.values().get(0);
        meta.put(ApoLr.GLOBAL, Tensor.of(NDArray.scalar(Math.log(config.initialLr()), first.dtype(), first.device())));
        for (Map.Entry<String, Tensor> e : params) {
            String name = e.getKey();
            Tensor p = e.getValue();
            if (p.ndim() < 2) {
                meta.put("d." + name, ones(p, p.shape()));
                continue;
            }
            int out = p.shape(0), in = p.size() / out;
            if (out <= config.precondMaxDim()) meta.put("L." + name, eye(p, out));
            else meta.put("l." + name, ones(p, out));
            if (in <= config.precondMaxDim()) meta.put("R." + name, eye(p, in));
            else meta.put("r." + name, ones(p, in));
        }
        return Params.of(meta);
    }

    private static Tensor ones(Tensor like, int... shape) {
        return Tensor.of(NDArray.full(1, like.dtype(), like.device(), shape));
    }

    private static Tensor eye(Tensor like, int n) {
        return Tensor.of(NDArray.eye(n, like.dtype())).to(like.device());
    }

    @Override
    public Prepared<Params> prepare(Params grads, Params state, Params params) {
        if (state == null) return new Prepared<>(grads, null);
        Params m = state.zip(grads, (buf, g) -> buf.mul(config.precondMomentum()).add(g));
        return new Prepared<>(m, m);
    }

    @Override
    public Params apply(Params params, Params direction, Params meta) {
        if (!params.congruent(direction))
            throw new IllegalArgumentException("ApoPrecond: direction " + direction + " does not match parameters " + params);
        Tensor lr = meta.get(ApoLr.GLOBAL).exp();
        return params.mapWithName((name, p) -> p.sub(precondition(name, direction.get(name), meta).mul(lr)));
    }

    /** L·M·R (or its diagonal forms) for one parameter. */
    private static Tensor precondition(String name, Tensor m, Params meta) {
        if (m.ndim() < 2) return m.mul(meta.get("d." + name));
        int out = m.shape(0), in = m.size() / out;
        Tensor x = m.reshape(out, in);
        x = meta.contains("L." + name) ? meta.get("L." + name).matmul(x) : x.mul(meta.get("l." + name).reshape(out, 1));
        x = meta.contains("R." + name) ? x.matmul(meta.get("R." + name)) : x.mul(meta.get("r." + name).reshape(1, in));
        return x.reshape(m.shape());
    }

    @Override
    public double metaLr(String metaName) {
        return metaName.equals(ApoLr.GLOBAL) ? config.metaLr() : config.precondMetaLr();
    }

    @Override
    public Map<String, Double> learningRates(Params meta) {
        return Map.of("global", Math.exp(meta.get(ApoLr.GLOBAL).item()));
    }

    @Override
    public String toString() {
        return "ApoPrecond{maxDim=" + config.precondMaxDim() + ", momentum=" + config.precondMomentum() + "}";
    }
}
