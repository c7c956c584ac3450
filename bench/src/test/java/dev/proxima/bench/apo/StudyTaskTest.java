package dev.proxima.bench.apo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.LayerTap;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Linear;
import dev.proxima.nn.Tapped;
import dev.proxima.nn.functional.Losses;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.apo.Divergence;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.NDArray;
import dev.proxima.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The tasks' conventions: ρ is the loss's Bregman divergence, KFAC's sampled targets give the true Fisher, the char LM runs. */
class StudyTaskTest {
    private static final DType F64 = DType.FLOAT64;

    /**
     * ρ = the Bregman divergence of the task's loss in the outputs: L(f') − L(f) − ⟨∇L(f), f' − f⟩,
     * whatever the targets. So λ_FSD = 1 weighs the function-space term like the loss on every task.
     */
    @Property(tries = 25)
    void rhoIsTheBregmanDivergenceOfTheTaskLoss(@ForAll @IntRange(min = 1, max = 5) int rows, @ForAll @IntRange(min = 2, max = 6) int cols,
                                               @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        Rng rng = new Rng(seed);
        Tensor f = Tensor.randn(rng, F64, rows, cols), f2 = Tensor.randn(rng, F64, rows, cols);
        Tensor y = Tensor.randn(rng, F64, rows, cols);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = (int) (rng.nextDouble() * cols);
        Tensor lab = Tensor.of(NDArray.of(labels, rows));
        assertEquals(bregman(out -> Losses.mse(out, y), f2, f), Divergence.SQUARED_ERROR.apply(f2, f).item(), 1e-9);
        assertEquals(bregman(out -> Losses.crossEntropy(out, lab), f2, f), Divergence.KL.apply(f2, f).item(), 1e-9);
        for (StudyTask t : StudyTask.all()) assertTrue(t.divergence() != Divergence.HALF_SQUARED_ERROR, t.name);
    }

    private static double bregman(java.util.function.Function<Tensor, Tensor> loss, Tensor after, Tensor before) {
        Tensor leaf = before.detach().requiresGrad(true);
        Tensor l;
        try (var on = Autograd.enableGrad()) {
            l = loss.apply(leaf);
        }
        Tensor g = Autograd.grad(List.of(l), List.of(leaf), null, false, false, false).get(0);
        try (var off = Autograd.noGrad()) {
            return loss.apply(after).item() - l.item() - g.mul(after.sub(before)).sum().item();
        }
    }

    /**
     * The true Fisher's G for one Linear layer from the sampled loss, averaged over many draws,
     * against its expectation: softmax cross-entropy E[g gᵀ] = mean over rows of diag(p) − p pᵀ;
     * mean((f − y)²) with y ~ N(f, ½) over k outputs: 2/k² · I.
     */
    @Test
    void theSampledLossGivesTheTrueFisher() {
        Rng rng = new Rng(5);
        int rows = 4, in = 3, k = 3, draws = 4000;
        Linear layer = new Linear(in, k, rng);
        Tensor x = Tensor.randn(rng, DType.FLOAT32, rows, in);
        Params params = layer.params();
        for (StudyTask task : List.of(StudyTask.named("cnn"), StudyTask.named("regression"))) {
            double[] sum = new double[k * k];
            for (int d = 0; d < draws; d++) {
                Tapped t;
                Tensor loss;
                try (var on = Autograd.enableGrad()) {
                    t = layer.applyTapped(params.requiresGrad(), x);
                    loss = task.sampledLoss().apply(t.output(), rng);
                }
                Kfac.Curvature c = Kfac.curvature(loss, t.taps(), rows);
                Tensor g = c.outputGrads().get(0).to(F64).mul((double) rows); // per-example gradients
                double[] gg = g.mT().matmul(g).div(rows).toDoubleArray();
                for (int i = 0; i < gg.length; i++) sum[i] += gg[i] / draws;
            }
            double[] expected = new double[k * k];
            if (task.name.equals("cnn")) {
                double[] p;
                try (var off = Autograd.noGrad()) {
                    p = layer.apply(params, x).to(F64).softmax(1).toDoubleArray();
                }
                for (int r = 0; r < rows; r++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) expected[i * k + j] += ((i == j ? p[r * k + i] : 0) - p[r * k + i] * p[r * k + j]) / rows;
            } else {
                for (int i = 0; i < k; i++) expected[i * k + i] = 2.0 / (k * k);
            }
            for (int i = 0; i < k * k; i++)
                assertEquals(expected[i], sum[i], 0.08 * maxAbs(expected), task.name + " G[" + i + "]");
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    /**
     * A model with BatchNorm is evaluated in evaluation mode with statistics estimated from
     * training batches: the score does not depend on how the test set is cut into chunks (batch
     * statistics would), and the model's buffers and mode are left as they were.
     */
    @Test
    void aBatchNormModelIsScoredWithCalibratedStatistics() {
        StudyTask.Regression task = new StudyTask.Regression();
        task.load();
        Rng rng = new Rng(3);
        var model = new dev.proxima.nn.Sequential(new Linear(StudyTask.Regression.IN, 16, rng), new dev.proxima.nn.BatchNorm1d(16),
                dev.proxima.nn.Activation.tanh(), new Linear(16, 1, rng));
        Params params = model.params().map(p -> p.add(Tensor.randn(rng, p.dtype(), p.shape()).mul(0.3)));
        double[] before = model.buffers().values().get(0).toDoubleArray();
        int n = task.test.size();
        int[] reversed = new int[n];
        for (int i = 0; i < n; i++) reversed[i] = n - 1 - i;
        double inOrder = task.evaluate(task.test, model, params, null).loss();
        double backwards = task.evaluate(task.test.subset(reversed), model, params, null).loss();
        assertEquals(inOrder, backwards, 1e-5 * inOrder);
        assertTrue(model.isTraining(), "training mode restored");
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, model.buffers().values().get(0).toDoubleArray(), "buffers restored");
    }

    @Test
    void theCharacterModelTrainsAndScoresBitsPerCharacter() throws Exception {
        StringBuilder text = new StringBuilder();
        Rng rng = new Rng(9);
        String[] words = {"the ", "cat ", "sat ", "on ", "a ", "mat. "};
        while (text.length() < 20_000) text.append(words[(int) (rng.nextDouble() * words.length)]);
        StudyTask.CharLm task = new StudyTask.CharLm(text.toString());
        task.ensureLoaded();
        var model = task.model(1);
        double untrained = task.testMetric(model, model.params());
        assertEquals(Math.log(task.vocab) / Math.log(2), untrained, 1.0, "an untrained model is near uniform");
        for (Method m : Method.values()) {
            Setting s = switch (m) {
                case SGD, COSINE -> Setting.of("lr", 0.3);
                case STEP_DECAY -> Setting.of("lr", 0.3, "drop1", 0.5, "drop2", 0.75);
                case ADAM -> Setting.of("lr", 3e-3);
                case KFAC -> Setting.of("lr", 0.03, "damping", 0.1, "trueFisher", 1);
                case APO_LR -> Setting.of("lambdaFsd", 1, "start", 0.1);
                case APO_PRECOND -> Setting.of("lambdaFsd", 1, "start", 0.1, "metaLr", 1e-2);
            };
            Cell c = Runner.train(task, new Cell.Key("test", task.name, 30, m.id, s.toString(), 1, true));
            assertEquals(30, c.scalar(Cell.STEPS_DONE), m.id);
            assertTrue(c.scalar(Cell.TEST_METRIC) < untrained, m.id + " lowers the bits per character: " + c.scalar(Cell.TEST_METRIC) + " vs " + untrained);
        }
    }

    /**
     * Claim 7's peer (amendment 2): {@code cnn_torch.py} trains the CNN in PyTorch for a few
     * steps and comes back as a cell with a finite loss, an accuracy in [0, 1] and its curve.
     * Skipped where Debian's python3-torch or Fashion-MNIST is not installed.
     */
    @Test
    void pyTorchsCnnRunBecomesACell() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(dev.proxima.nn.data.FashionMnist.DEFAULT_DIR), "no Fashion-MNIST");
        Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.waitFor() == 0, "no python3-torch");
        StudyTask cnn = StudyTask.named("cnn");
        Cell c = Runner.torch(cnn, new Cell.Key(Protocol.SIX_EPOCH_VERSION, "cnn", 30, Runner.PYTORCH, Protocol.TORCH_SETTING.toString(), 11, true));
        assertTrue(Double.isFinite(c.scalar(Cell.FINAL_LOSS)) && c.scalar(Cell.FINAL_LOSS) < 2.4, "loss " + c.scalar(Cell.FINAL_LOSS));
        double acc = c.scalar(Cell.TEST_METRIC);
        assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
        assertEquals(30, c.scalar(Cell.STEPS_DONE));
        assertEquals(30, c.series().get("loss").length);
        assertEquals(0.05, c.scalar(Cell.LR_END));
        assertTrue(c.info().get("peer").matches("torch \\S+, Python 3\\.\\S+"), c.info().get("peer"));
    }
}
