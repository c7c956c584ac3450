package dev.proxima.optim;

import dev.proxima.autograd.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Stages applied in order, each to the updates the one before it returned: optax's
 * {@code chain}. The first stage receives the gradients, the chain returns the last stage's
 * updates. Any {@link UpdateRule}s in any order and number, for example gradient clipping
 * before Adam, {@code Chain.of(ClipByGlobalNorm.of(1.0), Adam.builder().build())}, or a
 * clipping of Adam's step, {@code Chain.of(adam, ClipByGlobalNorm.of(0.1))}. Every stage sees
 * the same parameters (those before the step) and keeps its own state; the chain's state is
 * the list of them. The chain's learning rate is that of its one stage that has one.
 */
public final class Chain implements UpdateRule<Chain.State> {

    /** @param stages the state of each stage, in order */
    public record State(List<Object> stages) {
        public State {
            stages = List.copyOf(stages);
        }
    }

    private final List<UpdateRule<?>> stages;

    private Chain(List<? extends UpdateRule<?>> stages) {
        if (stages.isEmpty()) throw new IllegalArgumentException("Chain.of: no stages");
        for (int i = 0; i < stages.size(); i++) Objects.requireNonNull(stages.get(i), "Chain.of: stage " + i);
        this.stages = List.copyOf(stages);
    }

    /** {@code stages} in order (at least one). */
    public static Chain of(List<? extends UpdateRule<?>> stages) {
        return new Chain(stages);
    }

    /** Stages in order, e.g. {@code Chain.of(clip, decay, sgd)}. */
    public static Chain of(UpdateRule<?>... stages) {
        return new Chain(List.of(stages));
    }

    /** {@link #of(UpdateRule...)}, named for a static import: {@code chain(clip, adam)}. */
    public static Chain chain(UpdateRule<?>... stages) {
        return of(stages);
    }

    public List<UpdateRule<?>> stages() { return stages; }

    @Override
    public State init(Params params) {
        List<Object> states = new ArrayList<>(stages.size());
        for (UpdateRule<?> s : stages) states.add(s.init(params));
        return new State(states);
    }

    @Override
    public Update<State> update(Params updates, State state, Params params) {
        Trees.requireCongruent("Chain.update", updates, params);
        if (state.stages().size() != stages.size())
            throw new IllegalArgumentException("Chain.update: a state of " + state.stages().size() + " stages for a chain of " + stages.size());
        List<Object> states = new ArrayList<>(stages.size());
        for (int i = 0; i < stages.size(); i++) {
            Update<?> u = update(stages.get(i), updates, state.stages().get(i), params);
            updates = u.updates();
            states.add(u.state());
        }
        return new Update<>(updates, new State(states));
    }

    /** The learning rate of the one stage that has one (NaN when none or several do). */
    @Override
    public double learningRate(State state) {
        double lr = Double.NaN;
        for (int i = 0; i < stages.size(); i++) {
            double r = learningRate(stages.get(i), state.stages().get(i));
            if (Double.isNaN(r)) continue;
            if (!Double.isNaN(lr)) return Double.NaN;
            lr = r;
        }
        return lr;
    }

    // The stage states are stored untyped; each goes back only to the stage that made it.
    @SuppressWarnings("unchecked")
    private static <S> Update<S> update(UpdateRule<S> r, Params updates, Object state, Params params) {
        return r.update(updates, (S) state, params);
    }

    @SuppressWarnings("unchecked")
    private static <S> double learningRate(UpdateRule<S> r, Object state) {
        return r.learningRate((S) state);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Chain(");
        for (int i = 0; i < stages.size(); i++) b.append(i == 0 ? "" : " -> ").append(stages.get(i));
        return b.append(')').toString();
    }
}
