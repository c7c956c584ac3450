package dev.proxima.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs a module (or function) on a PyTorch fixture and compares output, gradients and buffers. */
final class FixtureHarness {
    private FixtureHarness() {}

    /** How a case evaluates: parameters, buffers and named inputs to (output, buffers after). */
    interface Run {
        Module.Applied apply(Module m, Params params, Params buffers, Map<String, Tensor> in);
    }

    /** The usual case: a one-input module called on input "x". */
    static Run single() {
        return (m, p, b, in) -> m.applyWithBuffers(p, b, in.get("x"));
    }

    static void verify(String name, Module m, boolean training, Run run) {
        Fixture f = Fixture.load(name);
        m.to(DType.FLOAT64);
        m.loadStateDict(f.state());
        m.train(training);
        Params p = m.params();
        Map<String, Tensor> in = new LinkedHashMap<>();
        List<Tensor> wrt = new ArrayList<>();
        List<String> names = new ArrayList<>();
        f.inputs().forEach((k, v) -> {
            Tensor leaf = v.requiresGrad(true);
            in.put(k, leaf);
            wrt.add(leaf);
            names.add("input." + k);
        });
        in.putAll(f.ints());
        for (Map.Entry<String, Tensor> e : p) {
            wrt.add(e.getValue());
            names.add(e.getKey());
        }
        Module.Applied a = run.apply(m, p, m.buffers(), in);
        Check.close(name + " output", f.output(), a.output(), 1e-9, 1e-7);
        List<Tensor> g = Autograd.grad(List.of(a.output()), wrt, List.of(f.cot()), false, false, false);
        for (int i = 0; i < wrt.size(); i++) {
            Tensor expected = f.grads().get(names.get(i));
            assertTrue(expected != null, name + ": fixture has no gradient for " + names.get(i));
            Check.close(name + " gradient of " + names.get(i), expected, g.get(i), 1e-8, 1e-6);
        }
        for (Map.Entry<String, Tensor> e : a.buffers()) {
            Tensor expected = f.after().get(e.getKey());
            assertTrue(expected != null, name + ": fixture has no buffer " + e.getKey() + " after the call");
            Check.close(name + " buffer " + e.getKey() + " after the call", expected, e.getValue(), 1e-9, 1e-7);
        }
    }

    /** A module with no parameters standing in for a function of the fixture's inputs. */
    static final class Fn extends Module {
        @Override
        protected Tensor compute(Call call, Tensor x) {
            return x;
        }
    }

    interface Function {
        Tensor apply(Map<String, Tensor> in);
    }

    static void verifyFunction(String name, Function fn) {
        verify(name, new Fn(), true, (m, p, b, in) -> new Module.Applied(fn.apply(in), b));
    }
}
