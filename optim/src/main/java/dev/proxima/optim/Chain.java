package dev.proxima.optim;

import dev.proxima.autograd.Params;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Gradient transforms applied in order, then an update rule: optax's {@code chain}. For
 * example gradient clipping before Adam:
 * {@code Chain.of(ClipByGlobalNorm.of(1.0), Adam.builder().build())}. Each stage keeps its
 * own state; the chain's state is the list of them. The chain's learning rate is its rule's.
 */
public final class Chain implements UpdateRule<Chain.State> {

    /**
     * @param transforms the state of each transform, in order
     * @param rule       the state of the final rule
     */
    public record State(List<Object> transforms, Object rule) {
        public State {
            transforms = List.copyOf(transforms);
            Objects.requireNonNull(rule);
        }
    }

    private final List<GradientTransform<?>> transforms;
    private final UpdateRule<?> rule;

    private Chain(List<GradientTransform<?>> transforms, UpdateRule<?> rule) {
        this.transforms = List.copyOf(transforms);
        this.rule = Objects.requireNonNull(rule, "Chain: rule");
    }

    /** {@code transforms} in order, then {@code rule}. */
    public static Chain of(List<? extends GradientTransform<?>> transforms, UpdateRule<?> rule) {
        return new Chain(new ArrayList<>(transforms), rule);
    }

    /**
     * Stages in order: any number of {@link GradientTransform}s followed by exactly one
     * {@link UpdateRule}, e.g. {@code Chain.of(clip, decay, sgd)}.
     */
    public static Chain of(Object... stages) {
        if (stages.length == 0 || !(stages[stages.length - 1] instanceof UpdateRule<?> last))
            throw new IllegalArgumentException("Chain.of: the last stage must be an UpdateRule, got " + Arrays.toString(stages));
        List<GradientTransform<?>> ts = new ArrayList<>();
        for (int i = 0; i < stages.length - 1; i++) {
            if (!(stages[i] instanceof GradientTransform<?> t))
                throw new IllegalArgumentException("Chain.of: stage " + i + " (" + stages[i] + ") is not a GradientTransform; only the last stage may be a rule");
            ts.add(t);
        }
        return new Chain(ts, last);
    }

    /** {@link #of(Object...)}, named for a static import: {@code chain(clip, adam)}. */
    public static Chain chain(Object... stages) {
        return of(stages);
    }

    public List<GradientTransform<?>> transforms() { return transforms; }

    public UpdateRule<?> rule() { return rule; }

    @Override
    public State init(Params params) {
        List<Object> states = new ArrayList<>(transforms.size());
        for (GradientTransform<?> t : transforms) states.add(t.init(params));
        return new State(states, rule.init(params));
    }

    @Override
    public Update<State> update(Params grads, State state, Params params) {
        Trees.requireCongruent("Chain.update", grads, params);
        List<Object> states = new ArrayList<>(transforms.size());
        for (int i = 0; i < transforms.size(); i++) {
            GradientTransform.Transformed<?> t = transform(transforms.get(i), grads, state.transforms().get(i), params);
            grads = t.grads();
            states.add(t.state());
        }
        Update<?> u = step(rule, grads, state.rule(), params);
        return new Update<>(u.params(), new State(states, u.state()));
    }

    @Override
    public double learningRate(State state) {
        return learningRate(rule, state.rule());
    }

    // The stage states are stored untyped; each goes back only to the stage that made it.
    @SuppressWarnings("unchecked")
    private static <S> GradientTransform.Transformed<S> transform(GradientTransform<S> t, Params grads, Object state, Params params) {
        return t.transform(grads, (S) state, params);
    }

    @SuppressWarnings("unchecked")
    private static <S> Update<S> step(UpdateRule<S> r, Params grads, Object state, Params params) {
        return r.update(grads, (S) state, params);
    }

    @SuppressWarnings("unchecked")
    private static <S> double learningRate(UpdateRule<S> r, Object state) {
        return r.learningRate((S) state);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Chain(");
        for (GradientTransform<?> t : transforms) b.append(t).append(" -> ");
        return b.append(rule).append(')').toString();
    }
}
