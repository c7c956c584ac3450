package dev.proxima.optim;

import dev.proxima.autograd.Params;
import java.util.Objects;

/**
 * What {@link UpdateRule#update} returns: the updates (what a step adds to the parameters, or
 * what the next stage of a {@link Chain} receives) and the next state.
 *
 * @param updates the updates, congruent with the step's parameters
 * @param state   the stage's state after the step
 * @param <S>     the stage's state type
 */
public record Update<S>(Params updates, S state) {
    public Update {
        Objects.requireNonNull(updates, "Update: updates");
        Objects.requireNonNull(state, "Update: state");
    }

    /** The parameters after the step: {@code params + updates}, optax's {@code apply_updates}. */
    public Params applyTo(Params params) {
        return applyUpdates(params, updates);
    }

    /**
     * {@code params + updates}, tensor by tensor, in the parameters' dtypes: the one place an
     * update is added to parameters.
     */
    public static Params applyUpdates(Params params, Params updates) {
        if (!params.congruent(updates))
            throw new IllegalArgumentException("Update.applyUpdates: updates " + updates + " do not match parameters " + params);
        return params.add(updates);
    }
}
