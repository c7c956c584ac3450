package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.Rng;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@code apply(params, x, context)}: the mode and the random key travel in the call. Without a
 * context nothing changes (each module's own mode, each Dropout's own generator); with one,
 * the module's mode is neither read nor changed and the same key gives the same masks.
 */
class ModuleContextTest {
    /** Linear, BatchNorm, ReLU, Dropout, Linear: every layer whose behaviour depends on the mode. */
    private static Sequential model(long seed, double p) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(5, 8, rng), new BatchNorm1d(8), new ReLU(), new Dropout(p, rng.split()), new Linear(8, 3, rng));
    }

    private static float[] values(Tensor t) {
        return t.toFloatArray();
    }

    @Property(tries = 20)
    void theEvalContextIsEvalModeAndLeavesTheModuleAlone(@ForAll @IntRange(min = 0, max = 100_000) int seed, @ForAll boolean training) {
        Sequential m = model(seed, 0.5);
        Tensor x = Tensor.randn(new Rng(seed + 1L), 16, 5);
        m.train(true);
        m.forward(x); // move the running statistics off their initial values
        m.train(training);
        Params p = m.params();
        float[] viaContext = values(m.apply(p, x, Module.Context.EVAL));
        assertTrue(m.isTraining() == training && m.get(3).isTraining() == training, "the module's mode is untouched");
        m.eval();
        assertArrayEquals(values(m.apply(p, x)), viaContext, "Context.EVAL computes what eval mode computes");
        m.train(true);
        assertArrayEquals(values(m.applyWithBuffers(p, m.buffers(), x, Module.Context.EVAL).output()), viaContext);
    }

    @Property(tries = 20)
    void aKeyedTrainingCallIsPure(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Sequential m = model(seed, 0.5);
        m.eval(); // the context's mode wins over the module's
        Tensor x = Tensor.randn(new Rng(seed + 1L), 16, 5);
        Params p = m.params();
        float[] a = values(m.apply(p, x, Module.Context.training(new Rng(7))));
        assertArrayEquals(a, values(m.apply(p, x, Module.Context.training(new Rng(7)))), "the same key, the same masks");
        assertFalse(Arrays.equals(a, values(m.apply(p, x, Module.Context.training(new Rng(8))))), "another key, other masks");
        assertFalse(Arrays.equals(a, values(m.apply(p, x))), "training mode: dropout and the batch's statistics");
        assertFalse(m.isTraining());
    }

    @Property(tries = 20)
    void withoutAKeyEachLayerDrawsFromItsOwnGeneratorAsBefore(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Sequential a = model(seed, 0.5), b = model(seed, 0.5);
        a.train(true);
        b.eval();
        Tensor x = Tensor.randn(new Rng(seed + 1L), 16, 5);
        // A keyed call does not advance the layer's own generator: b's next unkeyed mask is a's first.
        b.apply(b.params(), x, Module.Context.training(new Rng(3)));
        float[] first = values(a.apply(a.params(), x));
        assertArrayEquals(first, values(b.apply(b.params(), x, Module.Context.training(null))), "no key: the layer's own next mask");
        assertFalse(Arrays.equals(first, values(a.apply(a.params(), x))), "the own generator moves on");
    }

    /** Two Dropout layers under one key draw different masks: the key is folded with each layer's name. */
    @Property(tries = 20)
    void eachLayerGetsItsOwnStreamFromOneKey(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Rng rng = new Rng(seed);
        Dropout first = new Dropout(0.5, rng.split()), second = new Dropout(0.5, rng.split());
        Module both = new Module() {
            {
                registerChild("first", first);
                registerChild("second", second);
            }

            @Override
            protected Tensor compute(Call call, Tensor x) {
                return Tensor.stack(0, call.run("first", first, x), call.run("second", second, x));
            }
        };
        Tensor ones = Tensor.ones(64);
        Tensor out = both.apply(both.params(), ones, Module.Context.training(new Rng(seed + 1L)));
        assertFalse(Arrays.equals(values(out.select(0, 0)), values(out.select(0, 1))), "two layers, two masks");
    }
}
