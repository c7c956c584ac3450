package dev.proxima.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.BFloat16;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bfloat16 files both ways with PyTorch. The fixture was written from torch by the committed
 * {@code nn/src/test/python/make_bf16_fixture.py}; the other direction runs torch itself
 * ({@code read_safetensors.py}) when Debian's python3 with torch is installed, and is
 * skipped, visibly, when it is not.
 */
class SafetensorsBFloat16Test {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path READER = Path.of("src/test/python/read_safetensors.py"); // surefire runs in the module directory

    @TempDir Path dir;

    @SuppressWarnings("unchecked")
    static Map<String, Object> expected() throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(SafetensorsTest.resource("torch_bf16.expected.json")));
    }

    static short[] shorts(Object list) {
        List<?> l = (List<?>) list;
        short[] s = new short[l.size()];
        for (int i = 0; i < s.length; i++) s[i] = (short) (long) (Long) l.get(i);
        return s;
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> (int) (long) (Long) o).toArray();
    }

    @Test
    void aBFloat16FileWrittenByPyTorchLoadsBitExact() throws Exception {
        Safetensors.Contents c = Safetensors.readWithMetadata(SafetensorsTest.resource("torch_bf16.safetensors"));
        Map<String, Object> expected = expected();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals(Map.of("source", "make_bf16_fixture.py"), c.metadata());
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Map<?, ?> spec = (Map<?, ?>) e.getValue();
            Tensor t = c.tensors().get(e.getKey());
            assertEquals(DType.BFLOAT16, t.dtype(), e.getKey());
            assertArrayEquals(ints(spec.get("shape")), t.shape(), e.getKey());
            assertArrayEquals(shorts(spec.get("bits")), t.data().toBFloat16Bits(), e.getKey()); // NaN payloads included
        }
    }

    /** Proxima rounds float32 to bfloat16 as torch does: the same bits (any NaN for a NaN). */
    @Test
    void roundingFloat32AgreesWithPyTorch() throws Exception {
        int compared = 0;
        for (Map.Entry<String, Object> e : expected().entrySet()) {
            Map<?, ?> spec = (Map<?, ?>) e.getValue();
            if (!spec.containsKey("source")) continue;
            List<?> source = (List<?>) spec.get("source");
            short[] want = shorts(spec.get("bits"));
            float[] f = new float[source.size()];
            for (int i = 0; i < f.length; i++) f[i] = (float) Double.parseDouble((String) source.get(i));
            short[] got = NDArray.of(f).to(DType.BFLOAT16).toBFloat16Bits();
            for (int i = 0; i < f.length; i++, compared++) {
                if (Float.isNaN(f[i])) assertTrue(Float.isNaN(BFloat16.toFloat(got[i])) && Float.isNaN(BFloat16.toFloat(want[i])));
                else assertEquals(want[i], got[i], e.getKey() + "[" + i + "] = " + f[i]);
            }
        }
        assertTrue(compared > 40, "the fixture's float32 sources were compared: " + compared);
    }

    /** Reading torch's file and writing it back with its metadata gives the same bytes. */
    @Test
    void rewritingPyTorchsFileGivesTheSameBytes() throws IOException {
        Path torch = SafetensorsTest.resource("torch_bf16.safetensors");
        Safetensors.Contents c = Safetensors.readWithMetadata(torch);
        Path ours = dir.resolve("rewritten.safetensors");
        Safetensors.write(ours, c.tensors(), c.metadata());
        assertArrayEquals(Files.readAllBytes(torch), Files.readAllBytes(ours));
    }

    /** A file Proxima writes (random values, special values, a transposed view) loads in torch with the same bits. */
    @Test
    void aBFloat16FileWrittenByProximaLoadsInPyTorch() throws Exception {
        assumeTrue(torchAvailable(), PYTHON + " with torch is not installed (Debian python3-torch); the PyTorch reader is not run");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.of(NDArray.randn(new Rng(22), DType.BFLOAT16, 5, 7)));
        tensors.put("w.T", Tensor.of(NDArray.randn(new Rng(23), DType.BFLOAT16, 3, 4).mT()));
        tensors.put("special", Tensor.of(NDArray.of(0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.MAX_VALUE, 3.3895314e38f, 1e-40f, Float.MIN_VALUE).to(DType.BFLOAT16)));
        tensors.put("scalar", Tensor.of(NDArray.scalar(-2.5, DType.BFLOAT16, dev.proxima.tensor.Device.cpu())));
        tensors.put("empty", Tensor.of(NDArray.zeros(DType.BFLOAT16, 0, 3)));
        Path p = dir.resolve("proxima_bf16.safetensors");
        Safetensors.write(p, tensors, Map.of("source", "proxima"));
        Process proc = new ProcessBuilder(PYTHON.toString(), READER.toString(), p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "the torch reader did not finish");
        assertEquals(0, proc.exitValue(), "the torch reader failed: " + out);
        @SuppressWarnings("unchecked")
        Map<String, Object> got = (Map<String, Object>) Json.parse(out);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(got.keySet()));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Map<?, ?> t = (Map<?, ?>) got.get(e.getKey());
            assertEquals("bfloat16", t.get("dtype"), e.getKey());
            assertArrayEquals(e.getValue().shape(), ints(t.get("shape")), e.getKey());
            assertArrayEquals(e.getValue().data().toBFloat16Bits(), shorts(t.get("bits")), e.getKey());
        }
    }

    static boolean torchAvailable() {
        if (!Files.isExecutable(PYTHON)) return false;
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
