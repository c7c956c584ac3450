package dev.proxima.optim.apo;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.function.BiFunction;

/** Small models and base directions written with Tensor ops, shared by the APO tests. */
final class ApoFixtures {
    private ApoFixtures() {}

    static Tensor randn(Rng rng, DType dtype, int... shape) {
        return Tensor.randn(rng, dtype, shape);
    }

    /** A two-layer tanh MLP, weights [out, in] as nn.Linear stores them. */
    static final BiFunction<Params, Tensor, Tensor> MLP = (p, x) -> {
        Tensor h = x.matmul(p.get("0.weight").mT()).add(p.get("0.bias")).tanh();
        return h.matmul(p.get("1.weight").mT()).add(p.get("1.bias"));
    };

    static Params mlpParams(Rng rng, DType dtype, int in, int hidden, int out) {
        return Params.of("0.weight", randn(rng, dtype, hidden, in).mul(0.5), "0.bias", randn(rng, dtype, hidden).mul(0.1),
                "1.weight", randn(rng, dtype, out, hidden).mul(0.5), "1.bias", randn(rng, dtype, out).mul(0.1));
    }

    /** Cross-entropy of logits against one-hot targets (float rows), mean over rows. */
    static final BiFunction<Tensor, Tensor, Tensor> CROSS_ENTROPY =
            (logits, oneHot) -> logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}, false).mean().neg();

    /** ½·mean((out − y)²). */
    static final BiFunction<Tensor, Tensor, Tensor> HALF_MSE = (out, y) -> out.sub(y).square().mean().mul(0.5);

    static Tensor oneHot(Rng rng, int rows, int classes, DType dtype) {
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = rng.nextInt(classes);
        return Tensor.oneHot(Tensor.of(NDArray.of(labels, rows)), classes, dtype);
    }

    /** Plain SGD's direction: d = g, no state. */
    static ApoLr.Direction<Void> sgd() {
        return (g, s, p) -> new ApoRule.Prepared<>(g, null);
    }

    /** Heavy-ball momentum as PyTorch's SGD: buf ← μ·buf + g, d = buf; starts from {@code start}. */
    static ApoLr.Direction<Params> momentum(double mu, Params start) {
        return new ApoLr.Direction<>() {
            @Override
            public ApoRule.Prepared<Params> step(Params grads, Params buf, Params params) {
                Params next = buf.zip(grads, (b, g) -> b.mul(mu).add(g));
                return new ApoRule.Prepared<>(next, next);
            }

            @Override
            public Params init(Params params) {
                return start;
            }
        };
    }
}
