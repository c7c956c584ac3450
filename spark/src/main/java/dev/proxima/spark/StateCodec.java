package dev.proxima.spark;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.io.Serializable;
import java.lang.reflect.RecordComponent;
import java.util.List;

/**
 * Turns an optimizer state (a record of numbers and parameter trees, as every
 * {@code optim} rule keeps) into serializable values and back, so a barrier stage can hand
 * it to the driver and a later or retried stage can resume with it. Records are rebuilt
 * through their canonical constructor; a component of another kind is an error naming it.
 */
final class StateCodec {
    private StateCodec() {}

    record RecordValue(String type, List<Object> components) implements Serializable {}

    record TensorValue(float[] values, int[] shape) implements Serializable {}

    static Object encode(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Params p) return Snapshot.of(p);
        if (v instanceof Tensor t) return new TensorValue(t.toFloatArray(), t.shape());
        if (v instanceof Record r) {
            RecordComponent[] cs = r.getClass().getRecordComponents();
            Object[] out = new Object[cs.length];
            for (int i = 0; i < cs.length; i++) {
                try {
                    out[i] = encode(cs[i].getAccessor().invoke(r));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("StateCodec: cannot read " + r.getClass().getName() + "." + cs[i].getName(), e);
                }
            }
            return new RecordValue(r.getClass().getName(), java.util.Arrays.asList(out));
        }
        throw new IllegalArgumentException("StateCodec: cannot ship a " + v.getClass().getName()
                + " between stages (optimizer states must be records of numbers, tensors and Params)");
    }

    static Object decode(Object v) {
        if (v instanceof Snapshot s) return s.toParams();
        if (v instanceof TensorValue t) return Tensor.of(t.values().clone(), t.shape());
        if (v instanceof RecordValue r) {
            try {
                Class<?> type = Class.forName(r.type());
                RecordComponent[] cs = type.getRecordComponents();
                Class<?>[] types = new Class<?>[cs.length];
                Object[] args = new Object[cs.length];
                for (int i = 0; i < cs.length; i++) {
                    types[i] = cs[i].getType();
                    args[i] = decode(r.components().get(i));
                }
                var ctor = type.getDeclaredConstructor(types);
                ctor.setAccessible(true);
                return ctor.newInstance(args);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("StateCodec: cannot rebuild " + r.type(), e);
            }
        }
        return v;
    }
}
