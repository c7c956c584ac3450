package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.io.Checkpoint;
import dev.proxima.nn.io.Safetensors;
import dev.proxima.nn.io.StateCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;

/**
 * The whole state of a training run between two steps: the parameters, the module's buffers
 * (BatchNorm's running statistics), the optimizer's state (a rule's record, KFAC's factors,
 * or {@link ApoState} for APO) and the number of steps taken. Everything a step reads: a run
 * restored from it continues bit for bit as the one that saved it, given the same batches.
 *
 * <p>Its checkpoint is one tree flattened by {@link StateCodec}: tensors named
 * {@code param.NAME}, {@code buffer.NAME} and {@code state.PATH}, and string scalars (the
 * tree's structure and numbers) beside them, in one safetensors file.
 */
public record TrainState(Params params, Params buffers, Object optimizer, long step) {
    public TrainState {
        Objects.requireNonNull(params, "TrainState: params");
        Objects.requireNonNull(buffers, "TrainState: buffers");
        if (step < 0) throw new IllegalArgumentException("TrainState: step must be >= 0, got " + step);
    }

    /**
     * APO's optimizer state: the base rule's state, the meta-parameters φ (the learned rate or
     * preconditioner) and the meta-optimizer's (Adam's) state.
     */
    public record ApoState<S>(S base, Params meta, dev.proxima.optim.Adam.State metaOptimizer) {}

    /** Writes the tree into {@code tensors} and {@code scalars} (a checkpoint's two parts). */
    public void save(Map<String, Tensor> tensors, Map<String, String> scalars) {
        StateCodec.encode("param", params, tensors, scalars);
        StateCodec.encode("buffer", buffers, tensors, scalars);
        StateCodec.encode("state", optimizer, tensors, scalars);
        scalars.put("train_step", Long.toString(step));
    }

    /**
     * Reads back what {@link #save} wrote, in the shape of {@code like} (a learner's current
     * state: its parameter, buffer and meta-parameter names order the trees).
     */
    public static TrainState load(Map<String, Tensor> tensors, Map<String, String> scalars, TrainState like) {
        Collection<String> names = new LinkedHashSet<>(like.params.names());
        names.addAll(like.buffers.names());
        if (like.optimizer instanceof ApoState<?> a) names.addAll(a.meta().names());
        Params params = (Params) StateCodec.decode("param", Params.class, tensors, scalars, like.params.names());
        Params buffers = scalars.containsKey("buffer") || !like.buffers.isEmpty()
                ? (Params) StateCodec.decode("buffer", Params.class, tensors, scalars, like.buffers.names())
                : like.buffers; // a checkpoint from before buffers were saved, of a model without any
        String step = scalars.get("train_step");
        if (step == null) throw new IllegalStateException("checkpoint: no entry train_step (a checkpoint of another version?)");
        buffers = withBatchCounters(buffers, like.buffers, Long.parseLong(step));
        if (!params.congruent(like.params))
            throw new IllegalStateException("checkpoint: parameters " + params + " do not match the model's " + like.params);
        if (!buffers.congruent(like.buffers))
            throw new IllegalStateException("checkpoint: buffers " + buffers + " do not match the model's " + like.buffers);
        Object optimizer = StateCodec.decode("state", Object.class, tensors, scalars, names);
        return new TrainState(params, buffers, optimizer, Long.parseLong(step));
    }

    /**
     * {@code stored} in the order of {@code like}, with any BatchNorm counter it lacks set to
     * {@code steps}: a checkpoint written before BatchNorm counted its batches as a buffer (every
     * learner runs the model once in training mode per step, so the count is the steps taken).
     * Anything else missing is left for the congruence check to report.
     */
    private static Params withBatchCounters(Params stored, Params like, long steps) {
        if (stored.size() >= like.size()) return stored;
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String name : like.names()) {
            if (stored.contains(name)) m.put(name, stored.get(name));
            else if (name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked"))
                m.put(name, Tensor.full(Math.min(steps, Integer.MAX_VALUE), like.get(name).dtype()));
            else return stored;
        }
        return Params.of(m);
    }

    /** Saves to a safetensors file (atomically, see {@link Checkpoint#save}), with {@code metadata} beside the tree. */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> scalars = new LinkedHashMap<>();
        save(tensors, scalars);
        scalars.putAll(metadata);
        Checkpoint.save(file, tensors, scalars);
    }

    /**
     * Writes the model as PyTorch's {@code state_dict()} of the same architecture holds it:
     * {@code module.stateDict()}'s names, in its order, with this state's parameters and buffers
     * (BatchNorm's running statistics and {@code num_batches_tracked}, the batches they have
     * seen), through {@link Safetensors#writeStateDict} (the counter as I64, PyTorch's int64).
     * PyTorch loads the file with {@code model.load_state_dict(safetensors.torch.load_file(path),
     * strict=True)}; Proxima with {@code module.loadStateDict(Safetensors.read(path))}.
     */
    public void saveModel(Module module, Path file) throws IOException {
        if (!params.congruent(module.params()) || !buffers.congruent(module.buffers()))
            throw new IllegalArgumentException("TrainState.saveModel: the state's trees " + params.names() + " / " + buffers.names()
                    + " do not match the module's " + module.params().names() + " / " + module.buffers().names());
        Map<String, Tensor> dict = new LinkedHashMap<>();
        for (String name : module.stateDict().keySet())
            dict.put(name, params.contains(name) ? params.get(name) : buffers.get(name));
        Safetensors.writeStateDict(file, dict);
    }
}
