package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules, schedules and clipping against PyTorch 1.13 on stored float64 trajectories
 * (optim/src/test/python/make_fixtures.py writes torch_optim_fixtures.json beside the tests).
 */
class PyTorchFixturesTest {

    @SuppressWarnings("unchecked")
    static Map<String, Object> fixtures() throws IOException {
        try (InputStream in = PyTorchFixturesTest.class.getResourceAsStream("/torch_optim_fixtures.json")) {
            assertNotNull(in, "torch_optim_fixtures.json is missing from the test resources");
            return (Map<String, Object>) MiniJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    static Params tree(Object json) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        ((Map<String, Object>) json).forEach((name, v) -> {
            Map<String, Object> t = (Map<String, Object>) v;
            int[] shape = ((List<Object>) t.get("shape")).stream().mapToInt(x -> ((Double) x).intValue()).toArray();
            double[] data = ((List<Object>) t.get("data")).stream().mapToDouble(x -> (Double) x).toArray();
            m.put(name, Tensor.of(data, shape));
        });
        return Params.of(m);
    }

    static double num(Map<String, Object> h, String key, double fallback) {
        Object v = h.get(key);
        return v == null ? fallback : (Double) v;
    }

    @SuppressWarnings("unchecked")
    static UpdateRule<?> rule(String kind, Map<String, Object> h) {
        List<Object> betas = (List<Object>) h.get("betas");
        double b1 = betas == null ? 0.9 : (Double) betas.get(0), b2 = betas == null ? 0.999 : (Double) betas.get(1);
        return switch (kind) {
            case "sgd" -> Sgd.builder().lr(num(h, "lr", 0)).momentum(num(h, "momentum", 0)).dampening(num(h, "dampening", 0))
                    .weightDecay(num(h, "weight_decay", 0)).nesterov(Boolean.TRUE.equals(h.get("nesterov"))).build();
            case "adam" -> Adam.builder().lr(num(h, "lr", 1e-3)).betas(b1, b2).eps(num(h, "eps", 1e-8)).weightDecay(num(h, "weight_decay", 0))
                    .amsgrad(Boolean.TRUE.equals(h.get("amsgrad"))).build();
            case "adamw" -> AdamW.builder().lr(num(h, "lr", 1e-3)).betas(b1, b2).eps(num(h, "eps", 1e-8)).weightDecay(num(h, "weight_decay", 1e-2)).build();
            case "rmsprop" -> RmsProp.builder().lr(num(h, "lr", 1e-2)).alpha(num(h, "alpha", 0.99)).eps(num(h, "eps", 1e-8))
                    .momentum(num(h, "momentum", 0)).centered(Boolean.TRUE.equals(h.get("centered"))).weightDecay(num(h, "weight_decay", 0)).build();
            case "adagrad" -> Adagrad.builder().lr(num(h, "lr", 1e-2)).lrDecay(num(h, "lr_decay", 0)).eps(num(h, "eps", 1e-10))
                    .weightDecay(num(h, "weight_decay", 0)).initialAccumulatorValue(num(h, "initial_accumulator_value", 0)).build();
            default -> throw new IllegalArgumentException("fixture: unknown optimizer " + kind);
        };
    }

    @Test
    @SuppressWarnings("unchecked")
    void optimizersMatchPyTorch() throws IOException {
        List<Object> cases = (List<Object>) fixtures().get("optimizers");
        assertEquals(12, cases.size());
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            UpdateRule<?> rule = rule((String) c.get("optimizer"), (Map<String, Object>) c.get("hyper"));
            run(rule, tree(c.get("params")), (List<Object>) c.get("grads"), (List<Object>) c.get("expected"));
        }
    }

    private static <S> void run(UpdateRule<S> rule, Params params, List<Object> grads, List<Object> expected) {
        S state = rule.init(params);
        for (int step = 0; step < grads.size(); step++) {
            Update<S> u = rule.update(tree(grads.get(step)), state, params);
            params = u.applyTo(params);
            state = u.state();
            Params want = tree(expected.get(step));
            for (String name : want.names()) {
                double[] w = want.get(name).toDoubleArray(), g = params.get(name).toDoubleArray();
                for (int i = 0; i < w.length; i++)
                    assertEquals(w[i], g[i], 1e-12 * (1 + Math.abs(w[i])), rule + ": step " + step + " " + name + "[" + i + "]");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void schedulesMatchPyTorch() throws IOException {
        Map<String, Schedule> ours = Map.of(
                "step", Schedules.step(3, 0.5),
                "multistep", Schedules.multiStep(0.3, 2, 5, 9),
                "exponential", Schedules.exponential(0.9),
                "cosine", Schedules.cosine(8, 0.05 / 0.5),
                "linear", Schedules.linear(0.25, 1.0, 4));
        List<Object> cases = (List<Object>) fixtures().get("schedules");
        assertEquals(ours.size(), cases.size());
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            Schedule s = ours.get((String) c.get("schedule"));
            double base = (Double) c.get("base_lr");
            List<Object> lrs = (List<Object>) c.get("lrs");
            for (int step = 0; step < lrs.size(); step++)
                assertEquals((Double) lrs.get(step), base * s.at(step), 1e-12, s + " at step " + step);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void clippingMatchesPyTorch() throws IOException {
        for (Object o : (List<Object>) fixtures().get("clipping")) {
            Map<String, Object> c = (Map<String, Object>) o;
            Params g = tree(c.get("grads")), want = tree(c.get("expected"));
            assertEquals((Double) c.get("total_norm"), g.norm().item(), 1e-12);
            ClipByGlobalNorm clip = ClipByGlobalNorm.of((Double) c.get("max_norm"));
            Params got = clip.update(g, clip.init(g), g).updates();
            for (String name : want.names())
                assertArrayEquals(want.get(name).toDoubleArray(), got.get(name).toDoubleArray(), 1e-12, clip + " " + name);
        }
    }
}
