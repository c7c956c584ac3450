package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.NDArray;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference case written by src/test/python/make_fixtures.py (PyTorch, float64): state,
 * inputs, integer inputs, the output's cotangent, the output, gradients and the state after.
 */
public record Fixture(Map<String, Tensor> state, Map<String, Tensor> inputs, Map<String, Tensor> ints, Tensor cot,
                      Tensor output, Map<String, Tensor> grads, Map<String, Tensor> after, Map<String, Object> raw) {

    public static Fixture load(String name) {
        try (InputStream in = Fixture.class.getResourceAsStream("/fixtures/" + name + ".json")) {
            if (in == null) throw new IllegalArgumentException("no fixture " + name + " (run nn/src/test/python/make_fixtures.py)");
            @SuppressWarnings("unchecked")
            Map<String, Object> j = (Map<String, Object>) new Json(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value();
            return new Fixture(tensors(j.get("state")), tensors(j.get("inputs")), tensors(j.get("ints")), tensor(j.get("cot")),
                    tensor(j.get("output")), tensors(j.get("grads")), tensors(j.get("after")), j);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    public double number(String key) {
        return ((Number) raw.get(key)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Tensor> tensors(Object o) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        if (o != null) ((Map<String, Object>) o).forEach((k, v) -> m.put(k, tensor(v)));
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Tensor tensor(Object o) {
        Map<String, Object> m = (Map<String, Object>) o;
        List<Object> shapeList = (List<Object>) m.get("shape"), data = (List<Object>) m.get("data");
        int[] shape = new int[shapeList.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = ((Number) shapeList.get(i)).intValue();
        if (Boolean.TRUE.equals(m.get("int"))) {
            int[] v = new int[data.size()];
            for (int i = 0; i < v.length; i++) v[i] = ((Number) data.get(i)).intValue();
            return Tensor.of(NDArray.of(v, shape));
        }
        double[] v = new double[data.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) data.get(i)).doubleValue();
        return Tensor.of(NDArray.of(v, shape));
    }

    /** Just enough JSON for the fixtures: objects, arrays, numbers, strings, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                skip();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    skip();
                    String k = (String) value();
                    skip(); expect(':');
                    m.put(k, value());
                    skip();
                    if (s.charAt(i++) == '}') return m;
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                skip();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value());
                    skip();
                    if (s.charAt(i++) == ']') return l;
                }
            }
            if (c == '"') {
                int end = s.indexOf('"', i + 1);
                String r = s.substring(i + 1, end);
                i = end + 1;
                return r;
            }
            if (s.startsWith("true", i)) { i += 4; return true; }
            if (s.startsWith("false", i)) { i += 5; return false; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            if (s.startsWith("NaN", i)) { i += 3; return Double.NaN; }
            if (s.startsWith("Infinity", i)) { i += 8; return Double.POSITIVE_INFINITY; }
            if (s.startsWith("-Infinity", i)) { i += 9; return Double.NEGATIVE_INFINITY; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            return Double.parseDouble(s.substring(start, i));
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private void expect(char c) {
            if (s.charAt(i++) != c) throw new IllegalStateException("json: expected " + c + " at " + (i - 1));
        }
    }
}
