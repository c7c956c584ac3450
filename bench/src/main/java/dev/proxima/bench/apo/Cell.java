package dev.proxima.bench.apo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One finished run of the study: its configuration (a {@link Key}, which is what is hashed)
 * and what it measured. Scalars (final loss, test metric, step time, ...), series (the loss and
 * the rate along the run, 100 points) and text (provenance: commit, CPU, machine load).
 */
record Cell(Key key, Map<String, Double> scalars, Map<String, double[]> series, Map<String, String> info) {
    Cell {
        scalars = new LinkedHashMap<>(scalars);
        series = new LinkedHashMap<>(series);
        info = new LinkedHashMap<>(info);
    }

    /**
     * What a run is: the study's numerics version ({@link Protocol#STUDY_VERSION}), the task,
     * the number of steps, the method (or "overhead" for a timing cell), the setting, the seed
     * and whether the test metric is evaluated. The git commit is recorded in the cell, never
     * keyed on, so a run can continue across commits; a change of the study's numerics must
     * bump the version instead.
     */
    record Key(String version, String task, int steps, String method, String setting, long seed, boolean evaluate) {
        String canonical() {
            return "study=" + version + ";task=" + task + ";steps=" + steps + ";method=" + method + ";setting=" + setting + ";seed=" + seed
                    + ";eval=" + (evaluate ? 1 : 0);
        }

        /** The first 16 hex digits of SHA-256 of {@link #canonical()}. */
        String hash() {
            return hashOf(canonical());
        }

        static String hashOf(String canonical) {
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(d).substring(0, 16);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The key of a canonical string (the inverse of {@link #canonical()}). */
        static Key parse(String canonical) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String part : canonical.split(";")) {
                int eq = part.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException("bench apo: malformed cell configuration '" + canonical + "'");
                f.put(part.substring(0, eq), part.substring(eq + 1));
            }
            try {
                return new Key(f.get("study"), f.get("task"), Integer.parseInt(f.get("steps")), f.get("method"), f.get("setting"),
                        Long.parseLong(f.get("seed")), f.get("eval").equals("1"));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("bench apo: malformed cell configuration '" + canonical + "'", e);
            }
        }

        /** The file name of its cell: task-method-hash.cell. */
        String fileName() {
            return task + "-" + method + "-" + hash() + ".cell";
        }
    }

    double scalar(String name) {
        Double v = scalars.get(name);
        return v == null ? Double.NaN : v;
    }

    Setting setting() {
        return Setting.parse(key.setting());
    }

    // Scalar names.
    static final String FINAL_LOSS = "final_loss", TEST_METRIC = "test_metric", STEP_MS = "step_ms", LR_END = "lr_end",
            STEPS_DONE = "steps_done", WALL_S = "wall_s";

    /** The file's text: one "name=value" per line, in a fixed order. */
    String serialize() {
        StringBuilder b = new StringBuilder("# APO study cell, written by ./proxima bench apo --protocol; do not edit\n");
        b.append("config=").append(key.canonical()).append('\n');
        b.append("hash=").append(key.hash()).append('\n');
        for (var e : scalars.entrySet()) b.append("scalar.").append(e.getKey()).append('=').append(num(e.getValue())).append('\n');
        for (var e : series.entrySet()) {
            b.append("series.").append(e.getKey()).append('=');
            double[] v = e.getValue();
            for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : " ").append(num(v[i]));
            b.append('\n');
        }
        for (var e : info.entrySet()) {
            String v = e.getValue().replace('\n', ' ');
            b.append("info.").append(e.getKey()).append('=').append(v).append('\n');
        }
        b.append("end\n"); // a file without it was cut short
        return b.toString();
    }

    /** Java's shortest round-trip form: a cell read back holds exactly the numbers that were stored, so selection from stored cells equals selection in the run. */
    private static String num(double v) {
        return Double.toString(v);
    }

    /** Parses {@link #serialize()}'s text; {@code where} names the file in errors. */
    static Cell parse(String text, String where) {
        String config = null, hash = null;
        boolean end = false;
        Map<String, Double> scalars = new LinkedHashMap<>();
        Map<String, double[]> series = new LinkedHashMap<>();
        Map<String, String> info = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.equals("end")) { end = true; continue; }
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalStateException("bench apo: cell " + where + ": malformed line '" + line + "'");
            String name = line.substring(0, eq), value = line.substring(eq + 1);
            if (name.equals("config")) config = value;
            else if (name.equals("hash")) hash = value;
            else if (name.startsWith("scalar.")) scalars.put(name.substring(7), Double.parseDouble(value));
            else if (name.startsWith("series.")) {
                String[] parts = value.isEmpty() ? new String[0] : value.split(" ");
                double[] v = new double[parts.length];
                for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(parts[i]);
                series.put(name.substring(7), v);
            } else if (name.startsWith("info.")) info.put(name.substring(5), value);
        }
        if (config == null || hash == null || !end)
            throw new IllegalStateException("bench apo: cell " + where + " is incomplete (no config, hash or end line)");
        if (!Key.hashOf(config).equals(hash))
            throw new IllegalStateException("bench apo: cell " + where + " has hash " + hash + " but its configuration hashes to "
                    + Key.hashOf(config) + ": refusing it (edited by hand?)");
        return new Cell(Key.parse(config), scalars, series, info);
    }
}
