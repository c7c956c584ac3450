package dev.proxima.nn;

import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.util.List;

/**
 * The result of {@link Module#applyTapped}: the model's output, in call order what each
 * Linear and Conv2d layer saw (its input rows and its pre-activation output rows), and the
 * buffers after the call (BatchNorm's running statistics moved in training mode).
 */
public record Tapped(Tensor output, List<LayerTap> taps, Params buffers) {
    public Tapped {
        taps = List.copyOf(taps);
    }
}
