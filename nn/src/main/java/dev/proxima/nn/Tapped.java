package dev.proxima.nn;

import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Tensor;
import java.util.List;

/**
 * The result of {@link Module#applyTapped}: the model's output and, in call order, what each
 * Linear and Conv2d layer saw (its input rows and its pre-activation output rows).
 */
public record Tapped(Tensor output, List<LayerTap> taps) {
    public Tapped {
        taps = List.copyOf(taps);
    }
}
