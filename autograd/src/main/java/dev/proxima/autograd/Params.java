package dev.proxima.autograd;

import dev.proxima.tensor.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The parameter tree: an ordered, immutable map from dotted names ({@code "0.weight"},
 * {@code "encoder.attn.qkv.bias"}) to {@link Tensor}s. It is the one currency between
 * {@code nn} (a module's {@code params()} and {@code apply(params, x)}) and {@code optim}
 * (update rules map trees to trees), so neither has to import the other — the role JAX's
 * pytrees and optax's parameter dicts play.
 *
 * <p>Trees are values: every operation returns a new tree and never mutates a tensor. The
 * arithmetic ({@link #add}, {@link #scale}, {@link #dot}, ...) is written in {@code Tensor}
 * ops, so a tree computed from differentiable tensors (a learning rate that requires grad, a
 * gradient made with {@code createGraph}) stays differentiable.
 *
 * <p>Two trees are <em>congruent</em> when they have the same names in the same order and
 * each pair of tensors has the same shape; the binary operations require it and name the
 * first mismatch otherwise.
 */
public final class Params implements Iterable<Map.Entry<String, Tensor>> {
    private static final Params EMPTY = new Params(new LinkedHashMap<>());

    private final Map<String, Tensor> entries; // insertion-ordered, never exposed mutably

    private Params(LinkedHashMap<String, Tensor> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** The empty tree. */
    public static Params empty() {
        return EMPTY;
    }

    /** A tree holding {@code entries} in their iteration order (use a LinkedHashMap). */
    public static Params of(Map<String, Tensor> entries) {
        LinkedHashMap<String, Tensor> copy = new LinkedHashMap<>();
        entries.forEach((name, t) -> copy.put(checkName(name), Objects.requireNonNull(t, () -> "Params: tensor '" + name + "' is null")));
        return new Params(copy);
    }

    /** A tree from alternating names and tensors: {@code Params.of("w", w, "b", b)}. */
    public static Params of(Object... namesAndTensors) {
        if (namesAndTensors.length % 2 != 0)
            throw new IllegalArgumentException("Params.of: expected name, tensor pairs, got " + namesAndTensors.length + " arguments");
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            if (!(namesAndTensors[i] instanceof String name) || !(namesAndTensors[i + 1] instanceof Tensor t))
                throw new IllegalArgumentException("Params.of: argument " + i + " must be a String name followed by a Tensor");
            if (m.put(checkName(name), t) != null)
                throw new IllegalArgumentException("Params.of: duplicate name '" + name + "'");
        }
        return new Params(m);
    }

    /** A tree with the same names as this one and {@code tensors} as values, in order. */
    public Params withValues(List<Tensor> tensors) {
        if (tensors.size() != entries.size())
            throw new IllegalArgumentException("Params.withValues: " + tensors.size() + " tensors for " + entries.size() + " names");
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        int i = 0;
        for (String name : entries.keySet()) m.put(name, Objects.requireNonNull(tensors.get(i++)));
        return new Params(m);
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty())
            throw new IllegalArgumentException("Params: parameter names must be non-empty");
        return name;
    }

    // ---- access --------------------------------------------------------------------------

    public int size() { return entries.size(); }

    public boolean isEmpty() { return entries.isEmpty(); }

    public boolean contains(String name) { return entries.containsKey(name); }

    /** The tensor named {@code name}; an error lists the names there are. */
    public Tensor get(String name) {
        Tensor t = entries.get(name);
        if (t == null)
            throw new IllegalArgumentException("Params.get: no parameter '" + name + "'; names are " + entries.keySet());
        return t;
    }

    /** The names, in order. */
    public Set<String> names() { return entries.keySet(); }

    /** The tensors, in order. */
    public List<Tensor> values() { return new ArrayList<>(entries.values()); }

    /** A read-only view of the ordered map. */
    public Map<String, Tensor> asMap() { return entries; }

    @Override
    public Iterator<Map.Entry<String, Tensor>> iterator() { return entries.entrySet().iterator(); }

    /** Total number of scalar elements over all tensors (as a long: trees can be large). */
    public long numel() {
        long n = 0;
        for (Tensor t : entries.values()) n += t.size();
        return n;
    }

    // ---- structure -----------------------------------------------------------------------

    /** This tree with {@code name} set to {@code t} (replaced in place, or appended). */
    public Params with(String name, Tensor t) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>(entries);
        m.put(checkName(name), Objects.requireNonNull(t));
        return new Params(m);
    }

    /** The entries whose name starts with {@code prefix + "."}, with that prefix removed. */
    public Params subtree(String prefix) {
        String p = prefix + ".";
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        entries.forEach((name, t) -> { if (name.startsWith(p)) m.put(name.substring(p.length()), t); });
        return new Params(m);
    }

    /** This tree with every name prefixed by {@code prefix + "."}. */
    public Params prefixed(String prefix) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        entries.forEach((name, t) -> m.put(prefix + "." + name, t));
        return new Params(m);
    }

    /** The entries of this tree followed by those of {@code other} (names must not repeat). */
    public Params merge(Params other) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>(entries);
        other.entries.forEach((name, t) -> {
            if (m.put(name, t) != null) throw new IllegalArgumentException("Params.merge: name '" + name + "' is in both trees");
        });
        return new Params(m);
    }

    /** Every tensor detached (no history, no gradient requirement). */
    public Params detach() { return map(Tensor::detach); }

    /** Every tensor made a fresh leaf that requires gradients (same values). */
    public Params requiresGrad() { return map(t -> t.requiresGrad(true)); }

    // ---- maps ----------------------------------------------------------------------------

    /** {@code f} applied to each tensor; the names and their order are kept. */
    public Params map(Function<Tensor, Tensor> f) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        entries.forEach((name, t) -> m.put(name, Objects.requireNonNull(f.apply(t), () -> "Params.map: function returned null for '" + name + "'")));
        return new Params(m);
    }

    /** {@code f(name, tensor)} for each entry, for rules that differ per parameter. */
    public Params mapWithName(BiFunction<String, Tensor, Tensor> f) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        entries.forEach((name, t) -> m.put(name, Objects.requireNonNull(f.apply(name, t), () -> "Params.mapWithName: function returned null for '" + name + "'")));
        return new Params(m);
    }

    /** {@code f(a, b)} over matching entries of two congruent trees. */
    public Params zip(Params other, BiFunction<Tensor, Tensor, Tensor> f) {
        requireCongruent("zip", other);
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        Iterator<Tensor> bs = other.entries.values().iterator();
        entries.forEach((name, a) -> m.put(name, Objects.requireNonNull(f.apply(a, bs.next()), () -> "Params.zip: function returned null for '" + name + "'")));
        return new Params(m);
    }

    /** Entrywise {@code this + other}. */
    public Params add(Params other) { return zip(other, Tensor::add); }

    /** Entrywise {@code this - other}. */
    public Params sub(Params other) { return zip(other, Tensor::sub); }

    /** Every tensor times the scalar {@code s}. */
    public Params scale(double s) { return map(t -> t.mul(s)); }

    /** Every tensor times the 0-d (or broadcastable) tensor {@code s}, differentiably. */
    public Params scale(Tensor s) { return map(t -> t.mul(s)); }

    /** {@code this + alpha * other}, the axpy of update rules. */
    public Params addScaled(Params other, Tensor alpha) { return zip(other, (a, b) -> a.add(b.mul(alpha))); }

    /** The inner product {@code sum_i <this_i, other_i>} as a 0-d tensor. */
    public Tensor dot(Params other) {
        requireCongruent("dot", other);
        Tensor acc = null;
        Iterator<Tensor> bs = other.entries.values().iterator();
        for (Tensor a : entries.values()) {
            Tensor term = a.mul(bs.next()).sum();
            acc = acc == null ? term : acc.add(term);
        }
        return acc == null ? Tensor.scalar(0) : acc;
    }

    /** The squared Euclidean norm over all entries, as a 0-d tensor. */
    public Tensor squaredNorm() { return dot(this); }

    /** The Euclidean norm over all entries (the global norm gradient clipping uses). */
    public Tensor norm() { return squaredNorm().sqrt(); }

    /** Whether {@code other} has the same names, order and shapes. */
    public boolean congruent(Params other) {
        if (other.entries.size() != entries.size()) return false;
        Iterator<Map.Entry<String, Tensor>> it = other.entries.entrySet().iterator();
        for (Map.Entry<String, Tensor> e : entries.entrySet()) {
            Map.Entry<String, Tensor> o = it.next();
            if (!e.getKey().equals(o.getKey()) || !java.util.Arrays.equals(e.getValue().shape(), o.getValue().shape())) return false;
        }
        return true;
    }

    private void requireCongruent(String op, Params other) {
        if (congruent(other)) return;
        Iterator<Map.Entry<String, Tensor>> it = other.entries.entrySet().iterator();
        for (Map.Entry<String, Tensor> e : entries.entrySet()) {
            if (!it.hasNext()) break;
            Map.Entry<String, Tensor> o = it.next();
            if (!e.getKey().equals(o.getKey()))
                throw new IllegalArgumentException("Params." + op + ": names differ: '" + e.getKey() + "' vs '" + o.getKey() + "'");
            if (!java.util.Arrays.equals(e.getValue().shape(), o.getValue().shape()))
                throw new IllegalArgumentException("Params." + op + ": '" + e.getKey() + "' has shapes " + Shapes.str(e.getValue().shape())
                        + " and " + Shapes.str(o.getValue().shape()));
        }
        throw new IllegalArgumentException("Params." + op + ": trees have " + entries.size() + " and " + other.entries.size() + " entries");
    }

    /** Names with shapes, e.g. {@code Params{0.weight=[4, 3], 0.bias=[4]}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Params{");
        String sep = "";
        for (Map.Entry<String, Tensor> e : entries.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(Shapes.str(e.getValue().shape()));
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
