package dev.proxima.spark;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A float32 parameter tree as plain arrays, for Spark to ship between driver and executors
 * ({@link Params} holds tensors and is not serializable). Names, shapes and values in order.
 */
public record Snapshot(List<String> names, List<int[]> shapes, List<float[]> values) implements Serializable {

    public static Snapshot of(Params p) {
        List<String> names = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        for (var e : p) {
            if (e.getValue().dtype() != DType.FLOAT32)
                throw new IllegalArgumentException("Snapshot: '" + e.getKey() + "' is " + e.getValue().dtype() + "; Spark training ships float32 parameters");
            names.add(e.getKey());
            shapes.add(e.getValue().shape());
            values.add(e.getValue().toFloatArray());
        }
        return new Snapshot(List.copyOf(names), List.copyOf(shapes), List.copyOf(values));
    }

    public Params toParams() {
        java.util.LinkedHashMap<String, Tensor> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) m.put(names.get(i), Tensor.of(values.get(i).clone(), shapes.get(i)));
        return Params.of(m);
    }
}
