package dev.proxima.nn.functional;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Shapes;
import java.util.Arrays;

/**
 * Loss functions with PyTorch's definitions and its default reduction (the mean), written as
 * compositions of Tensor ops so every order of gradient comes from autograd's rules.
 * Classification losses take logits {@code [N, C]} and class indices as an INT32 tensor
 * {@code [N]}.
 */
public final class Losses {
    private Losses() {}

    /**
     * PyTorch's default {@code ignore_index}: {@link #crossEntropy(Tensor, Tensor)} and
     * {@link #nll(Tensor, Tensor)} skip targets equal to it (padding in sequence batches).
     */
    public static final int IGNORE_INDEX = -100;

    /** An ignore index no label equals: every target counts (and -100 is out of range). */
    public static final int IGNORE_NONE = Integer.MIN_VALUE;

    public static Tensor mse(Tensor prediction, Tensor target) {
        sameShape("mse", prediction, target);
        return prediction.sub(target).square().mean();
    }

    public static Tensor l1(Tensor prediction, Tensor target) {
        sameShape("l1", prediction, target);
        return prediction.sub(target).abs().mean();
    }

    /** Huber loss: {@code ½d²} where {@code |d| < delta}, else {@code delta·(|d| − ½delta)} (torch's huber_loss). */
    public static Tensor huber(Tensor prediction, Tensor target, double delta) {
        sameShape("huber", prediction, target);
        if (!(delta > 0)) throw new IllegalArgumentException("huber: delta must be positive, got " + delta);
        Tensor d = prediction.sub(target);
        Tensor a = d.abs();
        Tensor quadratic = d.square().mul(0.5);
        Tensor linear = a.sub(0.5 * delta).mul(delta);
        return Tensor.where(a.lt(delta), quadratic, linear).mean();
    }

    /**
     * Cross-entropy with PyTorch's defaults: no label smoothing, and targets equal to
     * {@link #IGNORE_INDEX} (-100) skipped.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        return crossEntropy(logits, labels, 0, IGNORE_INDEX);
    }

    /**
     * Cross-entropy from logits {@code [N, C]} and class indices {@code [N]} (INT32), averaged
     * over the targets that are not {@code ignoreIndex} (pass {@link #IGNORE_NONE} to count
     * them all). Ignored rows get no gradient; when every target is ignored the mean is 0/0,
     * NaN, as PyTorch's. With label smoothing {@code ε} the target is
     * {@code (1−ε)·onehot + ε/C}, as in PyTorch. Uses the fused log-softmax.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, double labelSmoothing, int ignoreIndex) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new IllegalArgumentException("crossEntropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        return nllImpl("crossEntropy", logits.ndim() == 2 ? logits.logSoftmax(1) : logits, labels, labelSmoothing, ignoreIndex, true);
    }

    /**
     * Negative log-likelihood from log-probabilities {@code [N, C]} and class indices {@code [N]},
     * skipping targets equal to {@link #IGNORE_INDEX}, as PyTorch's {@code nll_loss} does.
     */
    public static Tensor nll(Tensor logProbs, Tensor labels) {
        return nllImpl("nll", logProbs, labels, 0, IGNORE_INDEX, false);
    }

    public static Tensor nll(Tensor logProbs, Tensor labels, int ignoreIndex) {
        return nllImpl("nll", logProbs, labels, 0, ignoreIndex, false);
    }

    private static Tensor nllImpl(String op, Tensor logp, Tensor labels, double smoothing, int ignoreIndex, boolean fromLogits) {
        if (logp.ndim() != 2 || labels.ndim() != 1 || labels.shape(0) != logp.shape(0))
            throw new IllegalArgumentException(op + ": " + (fromLogits ? "logits " : "log-probabilities ") + Shapes.str(logp.shape())
                    + " and labels " + Shapes.str(labels.shape()) + " must be [N, C] and [N]");
        if (labels.dtype() != DType.INT32)
            throw new IllegalArgumentException(op + ": labels must be INT32 class indices, got " + labels.dtype());
        int n = logp.shape(0), c = logp.shape(1);
        int[] y = labels.data().toIntArray();
        boolean anyIgnored = false;
        for (int i = 0; i < n; i++) {
            if (y[i] == ignoreIndex) { anyIgnored = true; continue; }
            if (y[i] < 0 || y[i] >= c)
                throw new IllegalArgumentException(op + ": label " + y[i] + " at row " + i + " is out of range for " + c + " classes"
                        + (ignoreIndex == IGNORE_NONE ? "" : " (and is not the ignore index " + ignoreIndex + ")"));
        }
        Tensor index = labels;
        Tensor weight = null; // 1 for kept rows, 0 for ignored ones
        int kept = n;
        if (anyIgnored) {
            int[] safe = y.clone();
            double[] w = new double[n];
            kept = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] == ignoreIndex) safe[i] = 0;
                else { w[i] = 1; kept++; }
            }
            index = Tensor.of(dev.proxima.tensor.NDArray.of(safe, n).to(logp.device()));
            weight = Tensor.of(dev.proxima.tensor.NDArray.of(w, n).to(logp.dtype()).to(logp.device()));
        }
        Tensor picked = logp.gather(1, index.reshape(n, 1)).reshape(n); // log p(y_i)
        Tensor perRow = picked.neg();
        if (smoothing > 0) perRow = perRow.mul(1 - smoothing).add(logp.mean(new int[] {1}, false).neg().mul(smoothing));
        // where, not a product with the 0/1 weight: an ignored row's log p may be -inf, and 0 * inf is NaN.
        if (weight != null) perRow = Tensor.where(weight, perRow, weight.mul(0));
        return perRow.sum().div(Math.max(kept, 0) == 0 ? Double.NaN : kept);
    }

    /** Binary cross-entropy on logits, stable: {@code max(x,0) − x·y + log(1 + e^{−|x|})}, averaged. */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets) {
        sameShape("bceWithLogits", logits, targets);
        return logits.relu().sub(logits.mul(targets)).add(logits.abs().neg().exp().log1p()).mean();
    }

    /**
     * PyTorch's {@code kl_div(input, target, reduction="batchmean")}: {@code input} holds
     * log-probabilities, {@code target} probabilities (or log-probabilities with
     * {@code logTarget}); the sum of {@code target·(log target − input)} divided by the batch size.
     */
    public static Tensor klDiv(Tensor input, Tensor target, boolean logTarget) {
        sameShape("klDiv", input, target);
        Tensor pointwise = logTarget
                ? target.exp().mul(target.sub(input))
                : Tensor.where(target.gt(0), target.mul(target.log().sub(input)), target.mul(0)); // 0·log 0 = 0
        return pointwise.sum().div(input.ndim() == 0 ? 1 : input.shape(0));
    }

    /**
     * KL divergence between the output distributions of two models on the same batch,
     * {@code KL(softmax(targetLogits) ‖ softmax(logits))} over the last axis, averaged over
     * the rows: the function-space distance APO uses for classifiers ({@link Tensor#klDivLogits}).
     */
    public static Tensor klDivLogits(Tensor targetLogits, Tensor logits) {
        sameShape("klDivLogits", targetLogits, logits);
        return targetLogits.klDivLogits(logits);
    }

    private static void sameShape(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape()))
            throw new IllegalArgumentException(op + ": prediction " + Shapes.str(a.shape()) + " and target " + Shapes.str(b.shape()) + " must have the same shape");
    }
}
