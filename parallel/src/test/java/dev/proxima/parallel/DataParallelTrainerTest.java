package dev.proxima.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.Sgd;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataParallelTrainerTest {

    @Test
    void stepReturnsTheGlobalMeanLoss() {
        // loss_r = mean((w - x)^2) over the shard; the global mean weighs shards by size.
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5}, 5);
        List<Double> losses = DataParallelTrainer.runOnThreads(ThreadCollective.group(2), c -> {
            var t = new DataParallelTrainer<>(c, Sgd.of(0.0), Params.of("w", Tensor.scalar(0)));
            Tensor xs = DataParallelTrainer.shard(x, c.rank(), c.size());
            return t.step((p, a, b) -> p.get("w").sub(a).square().mean(), xs, xs);
        });
        double want = (1 + 4 + 9 + 16 + 25) / 5.0;
        for (double l : losses) assertEquals(want, l, 1e-6);
    }

    @Test
    void aFailingWorkerReleasesTheOthersWithItsOwnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                DataParallelTrainer.runOnThreads(ThreadCollective.group(3, Duration.ofMinutes(5)), c -> {
                    var t = new DataParallelTrainer<>(c, Sgd.of(0.1), Params.of("w", Tensor.scalar(1)));
                    if (c.rank() == 2) throw new IllegalStateException("worker 2 ran out of data");
                    t.step((p, a, b) -> p.get("w").square(), Tensor.scalar(0), Tensor.scalar(0));
                    return null;
                }));
        assertTrue(e.getMessage().contains("worker 2"), e.getMessage());
    }

    @Test
    void shardsPartitionTheBatch() {
        Tensor x = Tensor.arange(10).reshape(10, 1);
        int total = 0;
        for (int r = 0; r < 3; r++) {
            Tensor s = DataParallelTrainer.shard(x, r, 3);
            if (r > 0) assertEquals(total, (int) s.toFloatArray()[0]);
            total += s.shape(0);
        }
        assertEquals(10, total);
        assertThrows(IllegalArgumentException.class, () -> DataParallelTrainer.shard(x, 3, 3));
    }
}
