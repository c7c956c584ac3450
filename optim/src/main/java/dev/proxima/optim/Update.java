package dev.proxima.optim;

import dev.proxima.autograd.Params;
import java.util.Objects;

/**
 * What {@link UpdateRule#update} returns: the next parameters and the next state.
 *
 * @param params the parameters after the step (congruent with the step's input)
 * @param state  the rule's state after the step
 * @param <S>    the rule's state type
 */
public record Update<S>(Params params, S state) {
    public Update {
        Objects.requireNonNull(params, "Update: params");
        Objects.requireNonNull(state, "Update: state");
    }
}
