package dev.proxima.train;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.functional.Losses;
import dev.proxima.optim.Kfac;
import dev.proxima.tensor.Rng;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.ToIntBiFunction;

/**
 * What {@link Learner#kfac} estimates its curvature from, beyond optim's {@link Kfac}: which
 * Fisher the output-side factors G estimate, and N, the number of terms the batch loss is a
 * mean over (KFAC scales the taps' output gradients by it to recover per-example ones).
 *
 * <p>The empirical Fisher ({@code sampledLoss} null) takes G from the real loss's output
 * gradients. The true Fisher (Martens and Grosse) takes it from the loss against targets drawn
 * from the model's own predictive distribution, {@code sampledLoss(output, rng)}, and the
 * step's gradient from the real loss; the draws come from one generator seeded with
 * {@code seed}, advanced step after step. That generator's position is not part of
 * {@link TrainState}: a learner restored from a checkpoint draws from the seed's start again,
 * so a resumed true-Fisher run is not bit-identical to an uninterrupted one (the empirical
 * Fisher's is).
 *
 * @param examples    N of a batch, from its (input, target)
 * @param sampledLoss the loss against sampled targets, (output, rng) to a 0-d mean; null: the empirical Fisher
 * @param seed        the seed of the true Fisher's draws (unused without {@code sampledLoss})
 */
public record KfacOptions(ToIntBiFunction<Tensor, Tensor> examples, BiFunction<Tensor, Rng, Tensor> sampledLoss, long seed) {
    /** The empirical Fisher, N the rows of the batch (the leading axis of its input). */
    public static final KfacOptions EMPIRICAL = new KfacOptions((x, y) -> x.shape(0), null, 0);

    public KfacOptions {
        Objects.requireNonNull(examples, "KfacOptions: examples");
    }

    /** These options with N computed by {@code examples} (e.g. every scored position of a sequence: {@code (x, y) -> y.size()}). */
    public KfacOptions examples(ToIntBiFunction<Tensor, Tensor> examples) {
        return new KfacOptions(examples, sampledLoss, seed);
    }

    /** These options with the true Fisher: G from {@code sampledLoss}, its draws seeded with {@code seed}. */
    public KfacOptions trueFisher(BiFunction<Tensor, Rng, Tensor> sampledLoss, long seed) {
        return new KfacOptions(examples, Objects.requireNonNull(sampledLoss, "KfacOptions.trueFisher: sampledLoss"), seed);
    }

    /** Whether G comes from sampled targets. */
    public boolean isTrueFisher() {
        return sampledLoss != null;
    }

    /**
     * The true-Fisher loss of softmax cross-entropy ({@link Losses#crossEntropy}): labels drawn
     * from the softmax of each row of the output's last axis ({@link Kfac#sampleLabels}).
     */
    public static BiFunction<Tensor, Rng, Tensor> sampledCrossEntropy() {
        return (output, rng) -> {
            Tensor rows = output.reshape(-1, output.shape(output.ndim() - 1));
            return Losses.crossEntropy(rows, Kfac.sampleLabels(rows, rng));
        };
    }

    /**
     * The true-Fisher loss of {@link Losses#mse}: {@code mean((f − y)²)} is the negative
     * log-likelihood of N(f, ½) up to a constant, so the targets are f + N(0, ½) (drawn as
     * {@link Kfac#sampleGaussianTargets}' N(f, I), recentred and scaled by √½).
     */
    public static BiFunction<Tensor, Rng, Tensor> sampledSquaredError() {
        return (output, rng) -> {
            Tensor noise = Kfac.sampleGaussianTargets(output, rng).sub(output.detach()).mul(Math.sqrt(0.5));
            return Losses.mse(output, output.detach().add(noise));
        };
    }
}
