package dev.proxima.spark;

import dev.proxima.nn.io.StateCodec;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer state as Spark ships it between driver and executors: the one flattening every
 * checkpoint uses ({@link StateCodec}: named tensors and string scalars), the tensors as a
 * {@link Snapshot} of plain arrays. The same leaves and structure as the driver's safetensors
 * checkpoint, so a state read from one can be shipped as the other without a second encoding.
 */
record ShippedState(Snapshot tensors, Map<String, String> scalars) implements Serializable {
    private static final String ROOT = "state";

    static ShippedState of(Object state) {
        Map<String, dev.proxima.autograd.Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> scalars = new LinkedHashMap<>();
        StateCodec.encode(ROOT, state, tensors, scalars);
        return new ShippedState(Snapshot.of(dev.proxima.autograd.Params.of(tensors)), new LinkedHashMap<>(scalars));
    }

    /** The state again; a Params field keeps the order it was shipped in. */
    Object value() {
        return StateCodec.decode(ROOT, Object.class, tensors.toParams().asMap(), scalars, List.of());
    }
}
