package dev.proxima.nn;

import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import java.util.List;
import java.util.Map;

/**
 * One evaluation of a module tree: the parameter tree it runs with, where in that tree the
 * current module sits, and what the evaluation collects (taps, new buffer values). A module
 * reads its weights with {@link #param(String)}, which looks up the full dotted name
 * ({@code "encoder.0.weight"}) in the tree given to {@link Module#apply}; nothing is read
 * from the module's own fields, which is what makes {@code apply} a pure function of
 * (params, buffers, x) and safe to run from several threads at once. Given a
 * {@link Module.Context}, the mode and the random key travel in the call too.
 *
 * <p>A Call is created per evaluation and is not shared between threads.
 */
public final class Call {
    private final Params params;
    private final Params buffers;
    private final String prefix;
    private final List<LayerTap> taps;              // null: not tapping
    private final Map<String, Tensor> newBuffers;   // null: buffers are not updated
    private final Module.Context context;           // null: each module's own mode, no key

    Call(Params params, Params buffers, String prefix, List<LayerTap> taps, Map<String, Tensor> newBuffers, Module.Context context) {
        this.params = params;
        this.buffers = buffers;
        this.prefix = prefix;
        this.taps = taps;
        this.newBuffers = newBuffers;
        this.context = context;
    }

    /** The context the evaluation was given, or null (each module then follows its own mode). */
    Module.Context context() {
        return context;
    }

    /**
     * The generator the current module draws from in this evaluation: the context's key folded
     * with the module's full name (so each layer gets its own stream, and the same key the same
     * draws), or null when the call carries no key.
     */
    public Rng rng() {
        if (context == null || context.key() == null) return null;
        long h = 0xcbf29ce484222325L; // FNV-1a over the name: a 64-bit hash fixed by its definition
        for (int i = 0; i < prefix.length(); i++) h = (h ^ prefix.charAt(i)) * 0x100000001b3L;
        return context.key().fold(h);
    }

    /** The parameter {@code name} of the current module. */
    public Tensor param(String name) {
        return params.get(prefix + name);
    }

    /** The full dotted name of the current module's parameter or buffer {@code name}. */
    public String fullName(String name) {
        return prefix + name;
    }

    /** The buffer {@code name} of the current module, as it was when the evaluation began. */
    public Tensor buffer(String name) {
        return buffers.get(prefix + name);
    }

    /** Whether this evaluation records new buffer values (only {@link Module#forward} and {@link Module#applyWithBuffers} do). */
    public boolean updatesBuffers() {
        return newBuffers != null;
    }

    /** Records a new value for buffer {@code name}; ignored when the evaluation does not update buffers. */
    public void setBuffer(String name, Tensor value) {
        if (newBuffers != null) newBuffers.put(prefix + name, value.detach());
    }

    public boolean tapping() {
        return taps != null;
    }

    /** Records a tap for the current module's {@code weight} (and {@code bias}, or null). */
    public void tap(String weight, String bias, Tensor input, Tensor output) {
        if (taps != null) taps.add(new LayerTap(prefix + weight, bias == null ? null : prefix + bias, input, output));
    }

    /** The call for child {@code name} of the current module. */
    public Call child(String name) {
        return new Call(params, buffers, prefix + name + ".", taps, newBuffers, context);
    }

    /** Evaluates child module {@code m}, registered under {@code name}, on {@code x}. */
    public Tensor run(String name, Module m, Tensor x) {
        return m.compute(child(name), x);
    }
}
