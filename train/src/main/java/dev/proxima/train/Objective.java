package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.ToIntFunction;

/**
 * What a learner minimizes: a module, called functionally, and a loss of its output against a
 * target (a mean, 0-d). {@code weight} says how many terms the mean of one target averages
 * over; a data-parallel step weighs each worker's mean by it, so the average over the workers
 * is the global batch's mean (a target whose rows score different numbers of terms, such as
 * a sequence with ignored positions, needs it; {@link Tensor#size} is right otherwise).
 */
public record Objective(Module model, BiFunction<Tensor, Tensor, Tensor> loss, ToIntFunction<Tensor> weight) {
    public Objective {
        Objects.requireNonNull(model, "Objective: model");
        Objects.requireNonNull(loss, "Objective: loss");
        Objects.requireNonNull(weight, "Objective: weight");
    }

    /** A loss whose mean weighs every element of the target alike. */
    public static Objective of(Module model, BiFunction<Tensor, Tensor, Tensor> loss) {
        return new Objective(model, loss, Tensor::size);
    }

    /**
     * The model's output at {@code params} from {@code buffers}, and the buffers after the call
     * (moved in training mode, detached: a running statistic is a record of the past, not a
     * function of the parameters). A model without buffers takes the plain call.
     */
    public Module.Applied forward(Params params, Params buffers, Tensor x) {
        return forward(params, buffers, x, null);
    }

    /** {@link #forward(Params, Params, Tensor)} with a {@link Module.Context} (null: the module's own mode). */
    public Module.Applied forward(Params params, Params buffers, Tensor x, Module.Context context) {
        if (buffers.isEmpty()) return new Module.Applied(context == null ? model.apply(params, x) : model.apply(params, x, context), buffers);
        Module.Applied a = model.applyWithBuffers(params, buffers, x, context);
        return new Module.Applied(a.output(), a.buffers().detach());
    }
}
