package dev.proxima.nn;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Device;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A model piece with named parameters, named buffers and child modules, evaluated as a
 * function of its parameter tree.
 *
 * <p><b>Names.</b> A parameter's name is its path from this module: {@code "weight"} on a
 * Linear, {@code "0.weight"} for the first layer of a {@link Sequential}, {@code
 * "blocks.1.attn.q.weight"} deeper down. {@link #params()} returns them in registration order
 * (a module's own parameters first, then each child's), as one {@link Params} tree.
 *
 * <p><b>The functional call.</b> {@link #apply(Params, Tensor)} evaluates the module with the
 * given tree instead of its own parameters; the tensors may be differentiable functions of
 * other tensors (APO evaluates at {@code θ' = u_φ(θ)} and differentiates with respect to
 * {@code φ}). Every layer reads its weights from that tree through the {@link Call} (by full
 * dotted name), never from its fields, so {@code apply} neither mutates nor copies the module
 * and two threads may apply the same module with different trees at once. It is nestable:
 * a call inside a call is just another evaluation.
 *
 * <p><b>Buffers</b> (BatchNorm's running statistics) are non-trainable tensors. The rule,
 * chosen so that {@code apply} stays a pure function: {@code apply} and {@code applyTapped}
 * read the buffers and never change them (PyTorch's functional_call would update them);
 * {@link #forward(Tensor)} in training mode updates them, like a PyTorch module call; and
 * {@link #applyWithBuffers} returns the updated buffers as a value for functional training
 * loops that want running statistics, to be installed with {@link #setBuffers} if wanted.
 *
 * <p><b>Mode.</b> {@link #train(boolean)} switches the module and all its children between
 * training and evaluation behaviour (Dropout, BatchNorm). Changing the mode, the parameters
 * or the buffers while another thread evaluates the module is not supported. A call given a
 * {@link Context} ({@link #apply(Params, Tensor, Context)}) carries its mode and random key
 * itself and reads neither from the module.
 *
 * <p><b>Subclassing.</b> Register parameters, buffers and children in the constructor with
 * {@link #registerParam}, {@link #registerBuffer} and {@link #registerChild}, and implement
 * {@link #compute(Call, Tensor)} reading weights with {@code call.param(name)} and running
 * children with {@code call.run(name, child, x)}.
 */
public abstract class Module implements dev.proxima.autograd.Parameterized {
    private final LinkedHashMap<String, Tensor> ownParams = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> ownBuffers = new LinkedHashMap<>();
    private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private volatile boolean training = true;

    /** The evaluation: read weights and buffers from {@code call}, run children through it. */
    protected abstract Tensor compute(Call call, Tensor x);

    // ---- registration --------------------------------------------------------------------

    /** Registers a trainable parameter; it is stored as a leaf that requires gradients. */
    protected final Tensor registerParam(String name, Tensor value) {
        checkNewName(name);
        Tensor t = value.requiresGrad(true);
        ownParams.put(name, t);
        return t;
    }

    /** Registers a buffer (non-trainable state, e.g. running statistics). */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkNewName(name);
        Tensor t = value.detach();
        ownBuffers.put(name, t);
        return t;
    }

    /** Registers a child module under {@code name}; returns it. */
    protected final <M extends Module> M registerChild(String name, M child) {
        checkNewName(name);
        children.put(name, child);
        child.train(training);
        return child;
    }

    private void checkNewName(String name) {
        if (name == null || name.isEmpty() || name.contains("."))
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' must be non-empty and contain no '.'");
        if (ownParams.containsKey(name) || ownBuffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' is already registered");
    }

    /** The direct children, in registration order. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    // ---- parameters and buffers ----------------------------------------------------------

    /** The trainable parameters as one tree with dotted names (leaves that require gradients). */
    @Override
    public Params params() {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        collect(m, "", true);
        return Params.of(m);
    }

    /** The buffers as one tree with dotted names. */
    public Params buffers() {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        collect(m, "", false);
        return Params.of(m);
    }

    private void collect(Map<String, Tensor> into, String prefix, boolean params) {
        (params ? ownParams : ownBuffers).forEach((n, t) -> into.put(prefix + n, t));
        children.forEach((n, c) -> c.collect(into, prefix + n + ".", params));
    }

    /**
     * Replaces the parameters with {@code p}, which must have the same names in the same order
     * and the same shapes as {@link #params()}. The tensors are stored as given (so an
     * optimizer's leaves stay the very tensors the module computes with).
     */
    @Override
    public void setParams(Params p) {
        Params current = params();
        if (!current.congruent(p))
            throw new IllegalArgumentException(getClass().getSimpleName() + ".setParams: tree " + describe(p)
                    + " is not congruent with the module's " + describe(current));
        distribute(p.asMap(), "", true);
    }

    /** Replaces the buffers (same names and shapes as {@link #buffers()}). */
    public void setBuffers(Params b) {
        Params current = buffers();
        if (!current.congruent(b))
            throw new IllegalArgumentException(getClass().getSimpleName() + ".setBuffers: tree " + describe(b)
                    + " is not congruent with the module's " + describe(current));
        distribute(b.asMap(), "", false);
    }

    private void distribute(Map<String, Tensor> values, String prefix, boolean params) {
        LinkedHashMap<String, Tensor> own = params ? ownParams : ownBuffers;
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor t = values.get(prefix + e.getKey());
            e.setValue(params ? t : t.detach());
        }
        children.forEach((n, c) -> c.distribute(values, prefix + n + ".", params));
    }

    private static String describe(Params p) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Tensor> e : p) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(e.getKey()).append(' ').append(Shapes.str(e.getValue().shape()));
        }
        return sb.append('}').toString();
    }

    // ---- evaluation ----------------------------------------------------------------------

    /**
     * The functional call: evaluates the module with {@code params} (a tree congruent with,
     * or at least containing every name of, {@link #params()}) and the current buffers. Does
     * not mutate the module; thread-safe.
     */
    public Tensor apply(Params params, Tensor x) {
        return compute(new Call(params, buffers(), "", null, null, null), x);
    }

    /**
     * What an evaluation is told instead of what the module remembers: the mode and the key its
     * random layers draw from. With a context, {@code apply} is a pure function of
     * (params, buffers, x, context): the module's own training flag is not read, and a
     * {@link Dropout} draws its mask from {@code key} folded with its name
     * ({@link Call#rng()}), so two evaluations with the same context get the same masks (APO's
     * two evaluations of one step, a replayed step) and nothing advances. Flax's
     * {@code apply(variables, x, train=..., rngs=...)}.
     *
     * @param training training (Dropout on, BatchNorm on the batch's statistics) or evaluation mode
     * @param key      the random key, or null: random layers then draw from their own generators,
     *                 as without a context
     */
    public record Context(boolean training, Rng key) {
        /** Evaluation mode: no randomness, BatchNorm on its running statistics. */
        public static final Context EVAL = new Context(false, null);

        /** Training mode with {@code key} (null: each random layer's own generator). */
        public static Context training(Rng key) {
            return new Context(true, key);
        }
    }

    /** {@link #apply(Params, Tensor)} in the mode, and with the key, that {@code context} gives (none of it read from the module). */
    public Tensor apply(Params params, Tensor x, Context context) {
        return compute(new Call(params, buffers(), "", null, null, Objects.requireNonNull(context, "apply: context")), x);
    }

    /**
     * Whether the evaluation {@code call} runs in training mode: its context's mode when it
     * was given one, else this module's own ({@link #train}). A layer that behaves differently
     * in the two modes asks here, never {@link #isTraining()} alone.
     */
    protected final boolean training(Call call) {
        Context c = call.context();
        return c != null ? c.training() : training;
    }

    /**
     * The call that evaluates this module as the root with {@code params} and its current
     * buffers (no taps, no buffer updates): for modules with more than one input, whose
     * extra {@code apply} overloads start their evaluation here.
     */
    protected final Call rootCall(Params params) {
        return new Call(params, buffers(), "", null, null, null);
    }

    /** The result of {@link #applyWithBuffers}: the output and the buffers after the call. */
    public record Applied(Tensor output, Params buffers) {}

    /**
     * A pure evaluation that also returns the buffers as they are after it (BatchNorm's
     * running statistics moved in training mode; unchanged otherwise). Nothing is mutated.
     */
    public Applied applyWithBuffers(Params params, Params buffers, Tensor x) {
        return applyWithBuffers(params, buffers, x, null);
    }

    /** {@link #applyWithBuffers(Params, Params, Tensor)} with a {@link Context} (null: each module's own mode). */
    public Applied applyWithBuffers(Params params, Params buffers, Tensor x, Context context) {
        LinkedHashMap<String, Tensor> updated = new LinkedHashMap<>(buffers.asMap());
        Tensor out = compute(new Call(params, buffers, "", null, updated, context), x);
        return new Applied(out, Params.of(updated));
    }

    /** Evaluates with the module's own parameters; in training mode it also updates the buffers. */
    public Tensor forward(Tensor x) {
        if (ownBuffersEmpty()) return apply(params(), x);
        Applied a = applyWithBuffers(params(), buffers(), x);
        if (training) setBuffers(a.buffers());
        return a.output();
    }

    private boolean ownBuffersEmpty() {
        if (!ownBuffers.isEmpty()) return false;
        for (Module c : children.values()) if (!c.ownBuffersEmpty()) return false;
        return true;
    }

    /**
     * The functional call that also returns, for every Linear and Conv2d layer in call order,
     * a {@link LayerTap}: its input rows and pre-activation output rows (a Linear's rows are
     * its leading axes flattened; a Conv2d's are batch × output positions, its input is the
     * unfolded patch matrix). Conv2d with groups > 1 is not tapped.
     */
    public Tapped applyTapped(Params params, Tensor x) {
        List<LayerTap> taps = new ArrayList<>();
        Params buffers = buffers();
        Tensor out = compute(new Call(params, buffers, "", taps, null, null), x);
        return new Tapped(out, taps, buffers); // buffers never move in this call
    }

    /** {@link #applyTapped(Params, Tensor)} from {@code buffers}, returning them as they are after the call (as {@link #applyWithBuffers}). */
    public Tapped applyTapped(Params params, Params buffers, Tensor x) {
        List<LayerTap> taps = new ArrayList<>();
        LinkedHashMap<String, Tensor> updated = new LinkedHashMap<>(buffers.asMap());
        Tensor out = compute(new Call(params, buffers, "", taps, updated, null), x);
        return new Tapped(out, taps, Params.of(updated));
    }

    // ---- mode ----------------------------------------------------------------------------

    /** Sets training ({@code true}) or evaluation mode here and in every descendant. */
    public Module train(boolean on) {
        training = on;
        for (Module c : children.values()) c.train(on);
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    // ---- state and devices ---------------------------------------------------------------

    /**
     * The parameters and buffers by dotted name (what a checkpoint holds), in PyTorch's
     * {@code state_dict()} order: a module's own parameters, then its own buffers, then each
     * child's entries in turn. With PyTorch's names this is, key for key and in order, what
     * PyTorch's {@code state_dict()} of the same architecture holds (BatchNorm's
     * {@code num_batches_tracked} included, int32 here where PyTorch's is int64).
     */
    public Map<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        collectState(m, "");
        return m;
    }

    private void collectState(Map<String, Tensor> into, String prefix) {
        ownParams.forEach((n, t) -> into.put(prefix + n, t.detach()));
        ownBuffers.forEach((n, t) -> into.put(prefix + n, t.detach()));
        children.forEach((n, c) -> c.collectState(into, prefix + n + "."));
    }

    /**
     * Loads every parameter and buffer from {@code state}: each name must be present with the
     * same shape; extra names are an error too, so a mismatched checkpoint never half-loads.
     * Values are converted to each tensor's current dtype and device. One exception, as in
     * PyTorch: a BatchNorm counter ({@code *.num_batches_tracked}) missing from the state is
     * loaded as 0 (PyTorch's {@code load_state_dict} does so for a state dict without version
     * metadata, such as one read from a safetensors file, and earlier Proxima state dicts had
     * no counter).
     */
    public void loadStateDict(Map<String, Tensor> state) {
        Params p = params(), b = buffers();
        List<String> problems = new ArrayList<>();
        for (Params tree : List.of(p, b))
            for (Map.Entry<String, Tensor> e : tree) {
                Tensor s = state.get(e.getKey());
                if (s == null) {
                    if (tree != b || !isBatchCounter(e.getKey())) problems.add("missing '" + e.getKey() + "'");
                } else if (!Arrays.equals(s.shape(), e.getValue().shape()))
                    problems.add("'" + e.getKey() + "' has shape " + Shapes.str(s.shape()) + ", expected " + Shapes.str(e.getValue().shape()));
            }
        for (String name : state.keySet())
            if (!p.contains(name) && !b.contains(name)) problems.add("unexpected '" + name + "'");
        if (!problems.isEmpty())
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateDict: " + String.join("; ", problems));
        setParams(p.mapWithName((n, t) -> convert(state.get(n), t).requiresGrad(true)));
        setBuffers(b.mapWithName((n, t) -> state.containsKey(n) ? convert(state.get(n), t) : Tensor.zeros(t.dtype(), t.shape()).to(t.device())));
    }

    private static boolean isBatchCounter(String name) {
        return name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");
    }

    private static Tensor convert(Tensor value, Tensor like) {
        return value.detach().to(like.dtype()).to(like.device());
    }

    /** Moves every parameter and buffer to {@code device} (parameters stay leaves requiring grad). */
    public Module to(Device device) {
        return mapState(t -> t.to(device));
    }

    /** Converts every floating parameter and buffer to {@code dtype} (e.g. FLOAT64 for gradient checks). */
    public Module to(DType dtype) {
        return mapState(t -> t.dtype().isFloating() ? t.detach().to(dtype) : t);
    }

    private Module mapState(Function<Tensor, Tensor> f) {
        setParams(params().map(t -> f.apply(t.detach()).requiresGrad(true)));
        setBuffers(buffers().map(f));
        return this;
    }

    /** Runs {@code body} without recording gradients (inference). */
    public Tensor predict(Tensor x) {
        try (var ignored = Autograd.noGrad()) {
            return forward(x);
        }
    }

    @Override
    public String toString() {
        if (children.isEmpty()) return getClass().getSimpleName() + "(" + describe(params()) + ")";
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append("(\n");
        children.forEach((n, c) -> sb.append("  (").append(n).append("): ").append(c.toString().replace("\n", "\n  ")).append('\n'));
        return sb.append(')').toString();
    }
}
