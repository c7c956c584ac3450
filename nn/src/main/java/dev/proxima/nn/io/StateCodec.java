package dev.proxima.nn.io;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer state (an immutable record of step counters, Params and nested records, as
 * every rule in {@code dev.proxima.optim} keeps) to named tensors and scalars and back, so a
 * checkpoint can hold any rule's state without a format per rule. Decoding follows the
 * record's own components; a {@link Params} field is rebuilt in the order of the model's
 * parameter names. Used by the command line's checkpoints and by proxima-spark's driver
 * checkpoint; the tensors and scalars go into a safetensors file through {@link Checkpoint}
 * (scalars as its string metadata).
 */
public final class StateCodec {
    private StateCodec() {}

    /** Writes {@code value} under {@code prefix} (dotted) into the two maps. */
    public static void encode(String prefix, Object value, Map<String, Tensor> tensors, Map<String, String> scalars) {
        if (value == null) {
            scalars.put(prefix, "null");
        } else if (value instanceof Params p) {
            scalars.put(prefix, "params:" + p.size());
            for (String name : p.names()) tensors.put(prefix + "." + name, p.get(name).detach());
        } else if (value instanceof Tensor t) {
            scalars.put(prefix, "tensor");
            tensors.put(prefix, t.detach());
        } else if (value instanceof Record r) {
            scalars.put(prefix, "record:" + r.getClass().getName());
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                try {
                    encode(prefix + "." + c.getName(), c.getAccessor().invoke(r), tensors, scalars);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("checkpoint: cannot read " + r.getClass().getSimpleName() + "." + c.getName(), e);
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            // Keys are parameter names, which contain dots: they go into the tag, entries by position.
            List<String> keys = new java.util.ArrayList<>();
            for (Object k : map.keySet()) {
                String key = k.toString();
                if (key.contains("\n")) throw new IllegalArgumentException("checkpoint: a map key with a newline at " + prefix);
                keys.add(key);
            }
            scalars.put(prefix, "map:" + String.join("\n", keys));
            int i = 0;
            for (Object v : map.values()) encode(prefix + "[" + i++ + "]", v, tensors, scalars);
        } else if (value instanceof Number || value instanceof Boolean || value instanceof String) {
            scalars.put(prefix, value.toString());
        } else {
            throw new IllegalArgumentException("checkpoint: cannot store a " + value.getClass().getName() + " at " + prefix);
        }
    }

    /**
     * Reads back a value of type {@code type} written by {@link #encode}; {@code names} is the
     * order of a Params field's entries (the model's parameter names).
     */
    public static Object decode(String prefix, Class<?> type, Map<String, Tensor> tensors, Map<String, String> scalars, java.util.Collection<String> names) {
        String tag = scalars.get(prefix);
        if ("null".equals(tag)) return null;
        if (type == Params.class || tag != null && tag.startsWith("params:")) {
            if (tag == null || !tag.startsWith("params:")) throw missing(prefix);
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (String n : names) {
                Tensor t = tensors.get(prefix + "." + n);
                if (t != null) m.put(n, t);
            }
            // A Params field may hold a subset of the parameters (say, only the weights): keep
            // any stored entry that is not a parameter name too, in stored order.
            String head = prefix + ".";
            for (var e : tensors.entrySet())
                if (e.getKey().startsWith(head) && !m.containsKey(e.getKey().substring(head.length())))
                    m.put(e.getKey().substring(head.length()), e.getValue());
            if (m.size() != Integer.parseInt(tag.substring(7))) throw new IllegalStateException("checkpoint: " + prefix + " has "
                    + m.size() + " tensors, expected " + tag.substring(7));
            return Params.of(m);
        }
        if (type == Tensor.class || "tensor".equals(tag)) {
            Tensor t = tensors.get(prefix);
            if (t == null) throw missing(prefix);
            return t;
        }
        if (tag != null && tag.startsWith("map:")) {
            Map<String, Object> m = new LinkedHashMap<>();
            String keys = tag.substring(4);
            if (!keys.isEmpty()) {
                String[] ks = keys.split("\n", -1);
                for (int i = 0; i < ks.length; i++) m.put(ks[i], decode(prefix + "[" + i + "]", Object.class, tensors, scalars, names));
            }
            return m;
        }
        if (tag != null && tag.startsWith("record:")) {
            // The stored class: a generic component (a wrapped rule's state S) erases to Object.
            String cls = tag.substring(7);
            if (!cls.startsWith("dev.proxima.")) throw new IllegalStateException("checkpoint: " + prefix + " names a foreign class " + cls);
            try {
                type = Class.forName(cls);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("checkpoint: " + prefix + " is a " + cls + ", which this build does not have", e);
            }
            if (!type.isRecord()) throw new IllegalStateException("checkpoint: " + prefix + ": " + cls + " is not a record");
            RecordComponent[] cs = type.getRecordComponents();
            Object[] args = new Object[cs.length];
            Class<?>[] types = new Class<?>[cs.length];
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                args[i] = decode(prefix + "." + cs[i].getName(), cs[i].getType(), tensors, scalars, names);
            }
            try {
                Constructor<?> k = type.getDeclaredConstructor(types);
                k.setAccessible(true);
                return k.newInstance(args);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("checkpoint: cannot rebuild " + type.getSimpleName() + " at " + prefix, e);
            }
        }
        if (tag == null) throw missing(prefix);
        if (type == long.class || type == Long.class) return Long.parseLong(tag);
        if (type == int.class || type == Integer.class) return Integer.parseInt(tag);
        if (type == double.class || type == Double.class) return Double.parseDouble(tag);
        if (type == float.class || type == Float.class) return Float.parseFloat(tag);
        if (type == boolean.class || type == Boolean.class) return Boolean.parseBoolean(tag);
        if (type == String.class) return tag;
        throw new IllegalArgumentException("checkpoint: cannot read a " + type.getName() + " at " + prefix);
    }

    private static IllegalStateException missing(String prefix) {
        return new IllegalStateException("checkpoint: no entry " + prefix + " (a checkpoint of another optimizer or version?)");
    }
}
