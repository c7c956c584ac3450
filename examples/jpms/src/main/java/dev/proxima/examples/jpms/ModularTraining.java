package dev.proxima.examples.jpms;

import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Activation;
import dev.proxima.nn.Flatten;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Sequential;
import dev.proxima.nn.data.ArrayDataset;
import dev.proxima.nn.data.Batch;
import dev.proxima.nn.data.DataLoader;
import dev.proxima.nn.data.Progress;
import dev.proxima.nn.functional.Losses;
import dev.proxima.nn.functional.Metrics;
import dev.proxima.nn.io.Checkpoint;
import dev.proxima.nn.io.StateCodec;
import dev.proxima.optim.Adam;
import dev.proxima.optim.Optimizer;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import dev.proxima.tensor.cpu.Simd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Proxima on the module path: trains a small classifier on three Gaussian blobs with
 * {@code new Optimizer(rule, model)}, a progress bar and {@code Metrics.accuracy}, then writes
 * the parameters and Adam's state to a checkpoint and reads them back (the optimizer state
 * is rebuilt by reflection across modules). Exits with status 1 unless every library class
 * came from its named module, the model learned, the checkpoint round-trips, and the CPU
 * kernels took the path named by the first argument ({@code vector} or {@code scalar}).
 */
public final class ModularTraining {
    public static void main(String[] args) throws Exception {
        String expectedPath = args.length > 0 ? args[0] : "vector";
        for (Class<?> c : new Class<?>[] {NDArray.class, Tensor.class, Linear.class, Adam.class})
            check(c.getModule().isNamed(), c.getName() + " is in " + c.getModule() + ", not a named module");
        System.out.println("modules: " + Tensor.class.getModule().getName() + ", " + Linear.class.getModule().getName() + ", "
                + Adam.class.getModule().getName() + "; CPU kernels: " + Simd.path());
        check(Simd.path().equals(expectedPath), "CPU kernels on the " + Simd.path() + " path, expected " + expectedPath);

        Rng rng = new Rng(7);
        int n = 600, classes = 3;
        double[][] centers = {{0, 2}, {-1.8, -1}, {1.8, -1}};
        float[] noise = Tensor.randn(rng, n, 2).toFloatArray(), points = new float[n * 2];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
            points[2 * i] = (float) (centers[labels[i]][0] + 0.6 * noise[2 * i]);
            points[2 * i + 1] = (float) (centers[labels[i]][1] + 0.6 * noise[2 * i + 1]);
        }
        // Examples shaped [1, 2] (an "image" of one row): Flatten takes them to the Linear layer.
        ArrayDataset data = new ArrayDataset(NDArray.of(points, n, 1, 2), NDArray.of(labels, n));

        Sequential model = new Sequential(new Flatten(), new Linear(2, 32, rng), Activation.relu(), new Linear(32, classes, rng));
        Optimizer opt = new Optimizer(Adam.builder().lr(0.02).build(), model);
        DataLoader loader = DataLoader.of(data, 50).shuffle(1);
        var epochs = Progress.over(java.util.List.of(1, 2, 3, 4, 5), 5).label("epochs").to(System.out, false);
        for (int epoch : epochs) {
            for (Batch b : loader) {
                opt.zeroGrad();
                Tensor loss = Losses.crossEntropy(model.forward(b.x()), b.y());
                loss.backward();
                opt.step();
                epochs.set("loss", loss.item());
            }
        }
        double accuracy = Metrics.accuracy(model, data, 100);
        System.out.printf("training accuracy %.3f%n", accuracy);
        check(accuracy > 0.9, "the model did not learn (accuracy " + accuracy + ")");

        // Parameters and optimizer state into one safetensors file, and back.
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.stateDict());
        Map<String, String> meta = new HashMap<>();
        StateCodec.encode("optimizer", opt.state(), tensors, meta); // entries named optimizer.* and optimizer[i].*
        Path file = Files.createTempDirectory("proxima-jpms").resolve("checkpoint.safetensors");
        Checkpoint.save(file, tensors, meta);
        Checkpoint back = Checkpoint.load(file);
        // Adam treats each parameter on its own, so the wrapper keeps one state per parameter
        // name (as PyTorch's optimizer.state): a parameter without a gradient keeps its own.
        Object state = StateCodec.decode("optimizer", Map.class, back.tensors(), back.metadata(), model.params().names());
        Adam.State before = (Adam.State) ((Map<?, ?>) opt.state()).get("1.weight");
        check(state instanceof Map<?, ?> m && m.get("1.weight") instanceof Adam.State s && s.step() == before.step()
                        && m.keySet().equals(((Map<?, ?>) opt.state()).keySet()),
                "the optimizer state did not round-trip: " + state);
        Sequential copy = new Sequential(new Flatten(), new Linear(2, 32, rng), Activation.relu(), new Linear(32, classes, rng));
        Map<String, Tensor> weights = new LinkedHashMap<>(back.tensors());
        weights.keySet().removeIf(k -> k.startsWith("optimizer"));
        copy.loadStateDict(weights);
        check(Metrics.accuracy(copy, data, 100) == accuracy, "the reloaded model classifies differently");
        System.out.println("checkpoint: parameters and Adam state (step " + before.step() + ") round-tripped through " + file.getFileName());
    }

    private static void check(boolean ok, String why) {
        if (!ok) {
            System.err.println("ModularTraining: " + why);
            System.exit(1);
        }
    }
}
