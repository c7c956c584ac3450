package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.Safetensors;
import dev.proxima.nn.models.Models;
import dev.proxima.tensor.Rng;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import java.util.List;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.api.io.TempDir;

/** A module's state dict through a safetensors file and back; PyTorch's state dicts, BatchNorm counters included, load as they are. */
class CheckpointInteropTest {
    @Test
    void stateDictRoundTripsThroughSafetensors(@TempDir Path dir) throws Exception {
        Sequential trained = Models.cnn(1, 1, 8, 8, 3, 4, 6, 5);
        trained.forward(Tensor.randn(new Rng(2), 4, 1, 8, 8)); // moves the running statistics
        Path file = dir.resolve("cnn.safetensors");
        Safetensors.write(file, trained.stateDict());
        Sequential fresh = Models.cnn(99, 1, 8, 8, 3, 4, 6, 5);
        fresh.loadStateDict(Safetensors.read(file));
        trained.eval();
        fresh.eval();
        Tensor x = Tensor.randn(new Rng(3), 2, 1, 8, 8);
        Check.close("eval output after reload", trained.forward(x), fresh.forward(x), 0, 0);
    }

    @Test
    void pytorchStateDictLoadsWithItsBatchCounters() {
        Fixture f = Fixture.load("resblock_down"); // PyTorch's state_dict(), num_batches_tracked included (0)
        ResidualBlock block = new ResidualBlock(2, 4, 2, new Rng(1));
        block.to(dev.proxima.tensor.DType.FLOAT64);
        assertEquals(List.copyOf(f.state().keySet()), List.copyOf(block.stateDict().keySet()), "PyTorch's keys, in PyTorch's order");
        Map<String, Tensor> state = new LinkedHashMap<>(f.state());
        state.put("bn2.num_batches_tracked", Tensor.full(7, dev.proxima.tensor.DType.INT32));
        block.loadStateDict(state);
        Check.close("loaded", f.state().get("conv1.weight"), block.params().get("conv1.weight"), 0, 0);
        assertEquals(7, (int) block.buffers().get("bn2.num_batches_tracked").item());
        assertEquals(dev.proxima.tensor.DType.INT32, block.buffers().get("bn2.num_batches_tracked").dtype());
    }

    @Test
    void aMissingBatchCounterLoadsAsZeroAsInPyTorch() {
        // PyTorch's load_state_dict fills a missing num_batches_tracked with 0 for a state dict
        // without version metadata (one read from a safetensors file); any other missing or extra name fails.
        Fixture f = Fixture.load("resblock_down");
        ResidualBlock block = new ResidualBlock(2, 4, 2, new Rng(1));
        block.to(dev.proxima.tensor.DType.FLOAT64);
        block.forward(Tensor.randn(new Rng(2), 2, 2, 6, 6).to(dev.proxima.tensor.DType.FLOAT64)); // counters at 1
        Map<String, Tensor> state = new LinkedHashMap<>(f.state());
        state.keySet().removeIf(k -> k.endsWith("num_batches_tracked"));
        block.loadStateDict(state);
        for (String k : List.of("bn1", "bn2", "shortcut.1"))
            assertEquals(0, (int) block.buffers().get(k + ".num_batches_tracked").item(), k);
        Map<String, Tensor> noMean = new LinkedHashMap<>(f.state());
        noMean.remove("bn1.running_mean");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> block.loadStateDict(noMean));
        assertTrue(e.getMessage().contains("missing 'bn1.running_mean'"), e.getMessage());
        Map<String, Tensor> extra = new LinkedHashMap<>(f.state());
        extra.put("bn3.num_batches_tracked", Tensor.full(1, dev.proxima.tensor.DType.INT32));
        e = assertThrows(IllegalArgumentException.class, () -> block.loadStateDict(extra));
        assertTrue(e.getMessage().contains("unexpected 'bn3.num_batches_tracked'"), e.getMessage());
    }
}
