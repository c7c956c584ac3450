package dev.proxima.nn;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.io.Safetensors;
import dev.proxima.nn.models.Models;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A module's state dict through a safetensors file and back; PyTorch's extra BatchNorm counter is accepted. */
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
    void pytorchBatchNormCounterIsAccepted() {
        Fixture f = Fixture.load("resblock_down"); // a PyTorch state dict (the script drops the counters; add them back)
        Map<String, Tensor> state = new LinkedHashMap<>(f.state());
        for (String k : f.state().keySet())
            if (k.endsWith("running_mean")) state.put(k.replace("running_mean", "num_batches_tracked"), Tensor.of(NDArray.of(new int[] {3}, 1)));
        ResidualBlock block = new ResidualBlock(2, 4, 2, new Rng(1));
        block.to(dev.proxima.tensor.DType.FLOAT64);
        block.loadStateDict(state);
        Check.close("loaded", f.state().get("conv1.weight"), block.params().get("conv1.weight"), 0, 0);
    }
}
