package dev.proxima.bench.apo;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A method's hyperparameters, name → value, in a canonical order (sorted by name) so that the
 * same setting always prints, and hashes, the same way.
 */
record Setting(TreeMap<String, Double> values) {
    Setting {
        values = new TreeMap<>(values);
    }

    static Setting of(Object... nameValue) {
        TreeMap<String, Double> m = new TreeMap<>();
        for (int i = 0; i < nameValue.length; i += 2) m.put((String) nameValue[i], ((Number) nameValue[i + 1]).doubleValue());
        return new Setting(m);
    }

    /** Parses {@link #toString}'s form. */
    static Setting parse(String s) {
        TreeMap<String, Double> m = new TreeMap<>();
        if (!s.isEmpty())
            for (String kv : s.split(",")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
            }
        return new Setting(m);
    }

    double get(String name) {
        Double v = values.get(name);
        if (v == null) throw new IllegalArgumentException("bench apo: setting " + this + " has no '" + name + "'");
        return v;
    }

    double getOr(String name, double fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    Setting with(String name, double value) {
        TreeMap<String, Double> m = new TreeMap<>(values);
        m.put(name, value);
        return new Setting(m);
    }

    /** "name=value,..." with values in Java's shortest round-trip form. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (!b.isEmpty()) b.append(',');
            b.append(e.getKey()).append('=').append(fmt(e.getValue()));
        }
        return b.toString();
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%d", (long) v) : Double.toString(v);
    }
}
