package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import java.util.function.BiFunction;

/**
 * The model as the function {@code (params, x) -> output} that {@link dev.proxima.optim.apo.Apo}
 * takes (optim never sees a module), evaluated from the learner's buffers, keeping the buffers
 * that the first call after {@link #arm} produced. APO evaluates the model several times a
 * step (the loss at θ on B, then θ and the lookahead on B and B' for the meta-objective); its
 * first call is the loss at θ on B, the one forward pass a plain step runs, so the running
 * statistics move exactly once per step, as they do for every other learner.
 */
final class MovingBuffers implements BiFunction<Params, Tensor, Tensor> {
    private final Objective objective;
    private Params buffers;
    private Params moved;
    private boolean armed;

    MovingBuffers(Objective objective, Params buffers) {
        this.objective = objective;
        this.buffers = buffers;
    }

    /** The next call's buffer output is the step's. */
    void arm() {
        armed = true;
        moved = null;
    }

    /** After a step: its moved buffers become the current ones. */
    void commit() {
        if (moved == null) throw new IllegalStateException("APO's step never called the model");
        buffers = moved;
        moved = null;
        armed = false;
    }

    Params buffers() {
        return buffers;
    }

    void set(Params buffers) {
        this.buffers = buffers;
    }

    @Override
    public Tensor apply(Params params, Tensor x) {
        Module.Applied a = objective.forward(params, buffers, x);
        if (armed) {
            moved = a.buffers();
            armed = false;
        }
        return a.output();
    }
}
