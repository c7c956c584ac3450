package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;

/**
 * Zeroes each element with probability {@code p} in training mode and scales the rest by
 * {@code 1/(1-p)}; the identity in evaluation mode. Each training-mode evaluation draws its
 * mask from {@code rng.split()}: the generator advances by one counter per call, so the
 * sequence of masks is reproducible from the seed given the order of calls (concurrent calls
 * get distinct masks, in an order set by the scheduler). A call with a {@link Module.Context}
 * key draws instead from the key folded with this layer's name: the same key, the same mask,
 * and this layer's generator does not advance.
 */
public final class Dropout extends Module {
    private final double p;
    private final Rng rng;

    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = rng;
    }

    @Override
    protected Tensor compute(Call call, Tensor x) {
        if (!training(call) || p == 0) return x;
        Rng keyed = call.rng(); // a context's key: the same mask for the same key; none: the next of this layer's own
        NDArray keep = (keyed != null ? keyed : rng.split()).uniform(0, 1, x.dtype(), x.device(), x.shape()).ge(p).to(x.dtype());
        return x.mul(Tensor.of(keep.div(1 - p)));
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
