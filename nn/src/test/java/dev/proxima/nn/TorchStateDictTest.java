package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.Safetensors;
import dev.proxima.nn.models.Models;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Proxima model's state dict is PyTorch's, checked against
 * {@code src/test/resources/state_dict/torch_state_dicts.json}, written by
 * {@code src/test/python/make_state_dict_fixture.py} (Debian's python3-torch 1.13), which
 * rebuilds {@link Models#cnn}, {@link Models#mlp}, {@link Models#autoencoder} and
 * {@link Models#transformer} as PyTorch modules:
 * <ul>
 * <li>at the sizes {@code proxima train} uses, {@link Module#stateDict()}'s keys (in order),
 * shapes, and dtypes as {@link Safetensors#writeStateDict} stores them (the writer of a run's
 * model.safetensors) equal PyTorch's {@code state_dict()}: a renamed, missing or extra key,
 * BatchNorm's {@code num_batches_tracked} included, fails;</li>
 * <li>a small model of each architecture saved by Proxima ({@code proxima_NAME.safetensors},
 * committed, its BatchNorm statistics moved by two training batches) loaded in PyTorch with
 * {@code load_state_dict(..., strict=True)} (the script fails otherwise), and PyTorch's eval-mode
 * logits on the fixture's input equal Proxima's to 1e-5; the committed file is what Proxima
 * writes for those values, byte for byte.</li>
 * </ul>
 * CI has no torch, so the PyTorch side is stored. To regenerate, after a change to an
 * architecture or to the writer: run this test with {@code -Dproxima.writeStateDictFixtures=true}
 * (it writes new {@code proxima_*.safetensors} into the source tree), then the script.
 */
class TorchStateDictTest {
    static final Path DIR = Path.of("src/test/resources/state_dict"); // surefire runs in the module directory

    /** The models of {@code proxima train --model NAME} (cli's Task), as the script's TRAIN_SIZES. */
    static final Map<String, Supplier<Module>> TRAIN_SIZES = Map.of(
            "cnn", () -> Models.cnn(0),
            "mlp", () -> Models.mlp(0, 784, 256, 128, 10),
            "autoencoder", () -> Models.autoencoder(0, 784, 256, 64, 16),
            "transformer", () -> Models.transformer(0, 13, 64, 4, 2, 128, 17));

    /** The saved models, as the script's SMALL. */
    static final Map<String, Supplier<Module>> SMALL = Map.of(
            "cnn", () -> Models.cnn(24, 1, 12, 12, 4, 6, 16, 10),
            "mlp", () -> Models.mlp(24, 20, 16, 12, 10),
            "autoencoder", () -> Models.autoencoder(24, 20, 12, 6, 3),
            "transformer", () -> Models.transformer(24, 13, 8, 2, 2, 16, 9));

    @SuppressWarnings("unchecked")
    static Map<String, Object> fixture() throws IOException {
        try (InputStream in = TorchStateDictTest.class.getResourceAsStream("/state_dict/torch_state_dicts.json")) {
            assertTrue(in != null, "no fixture state_dict/torch_state_dicts.json (run src/test/python/make_state_dict_fixture.py)");
            return (Map<String, Object>) new Fixture.Json(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value();
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> section(String key, String model) throws IOException {
        return (Map<String, Object>) ((Map<String, Object>) fixture().get(key)).get(model);
    }

    /** The safetensors header's dtype names, as torch names the types they load as. */
    static final Map<String, String> TORCH_DTYPE = Map.of("F32", "float32", "F64", "float64", "BF16", "bfloat16", "I32", "int32", "I64", "int64");

    /** [key, shape, dtype] per entry of the file, in the file's order (the order written). */
    static List<List<Object>> listing(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) new Fixture.Json(new String(bytes, 8, (int) n, StandardCharsets.UTF_8)).value();
        List<List<Object>> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            Map<?, ?> entry = (Map<?, ?>) e.getValue();
            out.add(List.of(e.getKey(), ints(entry.get("shape")), TORCH_DTYPE.get((String) entry.get("dtype"))));
        }
        return out;
    }

    static List<Integer> ints(Object list) {
        List<Integer> out = new ArrayList<>();
        for (Object o : (List<?>) list) out.add(((Number) o).intValue());
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn", "mlp", "autoencoder", "transformer"})
    void stateDictIsPyTorchs(String name, @TempDir Path dir) throws IOException {
        @SuppressWarnings("unchecked")
        List<List<Object>> torch = (List<List<Object>>) ((Map<String, Object>) fixture().get("state_dict")).get(name);
        List<List<Object>> want = new ArrayList<>();
        for (List<Object> row : torch) want.add(List.of(row.get(0), ints(row.get(1)), row.get(2)));
        Module model = TRAIN_SIZES.get(name).get();
        Map<String, Tensor> state = model.stateDict();
        List<List<Object>> fromModule = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : state.entrySet())
            fromModule.add(List.of(e.getKey(), java.util.Arrays.stream(e.getValue().shape()).boxed().toList()));
        List<List<Object>> wantKeysShapes = new ArrayList<>();
        for (List<Object> row : want) wantKeysShapes.add(List.of(row.get(0), row.get(1)));
        assertEquals(wantKeysShapes, fromModule, name + ": stateDict() keys and shapes vs PyTorch's state_dict()");
        Path file = dir.resolve(name + ".safetensors");
        Safetensors.writeStateDict(file, state);
        assertEquals(want, listing(file), name + ": the written file's keys, shapes and dtypes vs PyTorch's state_dict()");
        if (name.equals("cnn")) // the fixture is not empty of what this is about
            assertTrue(want.contains(List.of("5.num_batches_tracked", List.of(), "int64")), "PyTorch's listing: " + want);
    }

    /** Proxima's eval-mode logits for the saved model on the fixture's input equal PyTorch's. */
    @ParameterizedTest
    @ValueSource(strings = {"cnn", "mlp", "autoencoder", "transformer"})
    void pytorchEvaluatesAProximaModelAsProximaDoes(String name, @TempDir Path dir) throws IOException {
        Map<String, Object> saved = section("saved", name);
        Path file = DIR.resolve("proxima_" + name + ".safetensors");
        Module model = SMALL.get(name).get();
        model.loadStateDict(Safetensors.read(file));
        // The file is what Proxima writes for those values.
        Path again = dir.resolve("again.safetensors");
        Safetensors.writeStateDict(again, model.stateDict());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again), name + ": rewriting the loaded model");
        @SuppressWarnings("unchecked")
        Map<String, Object> counters = (Map<String, Object>) saved.get("num_batches_tracked");
        for (Map.Entry<String, Object> c : counters.entrySet()) // PyTorch read the int64 counters Proxima wrote
            assertEquals(((Number) c.getValue()).intValue(), (int) model.buffers().get(c.getKey()).item(), name + " " + c.getKey());
        assertEquals(name.equals("cnn") ? 2 : 0, counters.size(), name + ": BatchNorm counters in PyTorch's model");

        model.eval();
        Tensor logits;
        try (var off = Autograd.noGrad()) {
            logits = model.forward(tensor((Map<?, ?>) saved.get("input")));
        }
        Tensor want = tensor((Map<?, ?>) saved.get("logits"));
        assertArrayEquals(want.shape(), logits.shape(), name + ": logits' shape");
        double[] w = want.toDoubleArray(), got = logits.toDoubleArray();
        double worst = 0;
        for (int i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - got[i]));
        assertTrue(worst <= 1e-5, name + ": logits differ from PyTorch's by up to " + worst);
    }

    /** float32 values, or int64 tokens (which Proxima holds as int32), from the fixture. */
    static Tensor tensor(Map<?, ?> m) {
        int[] shape = ints(m.get("shape")).stream().mapToInt(Integer::intValue).toArray();
        List<?> values = (List<?>) m.get("values");
        if (m.get("dtype").equals("int64")) {
            int[] v = new int[values.size()];
            for (int i = 0; i < v.length; i++) v[i] = ((Number) values.get(i)).intValue();
            return Tensor.of(NDArray.of(v, shape));
        }
        assertEquals("float32", m.get("dtype"));
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((Number) values.get(i)).doubleValue(); // exact: the values are float32
        return Tensor.of(NDArray.of(v, shape));
    }

    /**
     * Writes the saved models into the source tree (run with
     * {@code -Dproxima.writeStateDictFixtures=true}, then the script): each SMALL model with its
     * BatchNorm statistics moved by two training-mode batches, as a run's model.safetensors is written.
     */
    @Test
    void writeSavedModels() throws IOException {
        assumeTrue(Boolean.getBoolean("proxima.writeStateDictFixtures"), "writes the fixture's models only when asked");
        Files.createDirectories(DIR);
        for (Map.Entry<String, Supplier<Module>> e : SMALL.entrySet()) {
            Module model = e.getValue().get().train(true);
            Rng rng = new Rng(7);
            for (int k = 0; k < 2; k++) {
                Tensor x = switch (e.getKey()) {
                    case "cnn" -> Tensor.randn(rng, 8, 1, 12, 12).mul(2).add(0.5);
                    case "mlp", "autoencoder" -> Tensor.randn(rng, 8, 20);
                    default -> Tensor.of(NDArray.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 9));
                };
                try (var off = Autograd.noGrad()) {
                    model.forward(x);
                }
            }
            Safetensors.writeStateDict(DIR.resolve("proxima_" + e.getKey() + ".safetensors"), model.stateDict());
        }
    }
}
