package dev.proxima.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.tensor.DType;
import dev.proxima.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mutable wrapper: the PyTorch loop gives the same trajectory as the pure rule. */
class OptimizerTest {

    /** loss(w, b) = sum((x w^T + b - y)^2) / rows, a least-squares problem. */
    static Tensor loss(Params p, Tensor x, Tensor y) {
        return x.matmul(p.get("w").mT()).add(p.get("b")).sub(y).square().mean();
    }

    @Test
    void backwardLoopMatchesThePureRule() {
        Rng rng = new Rng(7);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 8, 3), y = Tensor.randn(rng, DType.FLOAT64, 8, 2);
        Params init = Params.of("w", Tensor.randn(rng, DType.FLOAT64, 2, 3), "b", Tensor.zeros(DType.FLOAT64, 2));
        Adam rule = Adam.builder().lr(0.05).build();

        List<Params> seen = new ArrayList<>();
        Optimizer opt = new Optimizer(rule, init, seen::add);
        assertEquals(1, seen.size(), "constants were replaced by leaves and the listener told");
        assertTrue(opt.params().get("w").requiresGrad() && opt.params().get("w").isLeaf());

        Params pure = init;
        Adam.State state = rule.init(pure);
        double first = loss(init, x, y).item(), last = first;
        for (int step = 0; step < 20; step++) {
            opt.zeroGrad();
            Tensor l = loss(opt.params(), x, y);
            l.backward();
            opt.step();
            last = l.item();

            Params pureLeaves = pure.requiresGrad();
            Params g = dev.proxima.autograd.Autograd.grad(loss(pureLeaves, x, y), pureLeaves);
            Update<Adam.State> u = rule.update(g, state, pure.detach());
            pure = u.applyTo(pure.detach());
            state = u.state();
            assertArrayEquals(pure.get("w").toDoubleArray(), opt.params().get("w").toDoubleArray(), 0);
            assertArrayEquals(pure.get("b").toDoubleArray(), opt.params().get("b").toDoubleArray(), 0);
        }
        assertEquals(21, seen.size());
        assertSame(opt.params(), seen.get(seen.size() - 1));
        assertEquals(20, opt.steps());
        assertTrue(last < first, "loss went down: " + first + " -> " + last);
        assertEquals(0.05, opt.lr());
    }

    /** A model (an nn Module in real use) that the optimizer updates with no callback given. */
    static final class Holder implements dev.proxima.autograd.Parameterized {
        Params p;
        int handedBack;

        Holder(Params p) {
            this.p = p;
        }

        @Override
        public Params params() {
            return p;
        }

        @Override
        public void setParams(Params params) {
            p = params;
            handedBack++;
        }
    }

    @Test
    void anOptimizerOverAModelHandsItEveryNewTree() {
        Rng rng = new Rng(11);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 8, 3), y = Tensor.randn(rng, DType.FLOAT64, 8, 2);
        Params init = Params.of("w", Tensor.randn(rng, DType.FLOAT64, 2, 3), "b", Tensor.zeros(DType.FLOAT64, 2)).requiresGrad();
        Holder model = new Holder(init);
        Optimizer opt = new Optimizer(Sgd.builder().lr(0.1).build(), model);
        Optimizer reference = new Optimizer(Sgd.builder().lr(0.1).build(), init);
        for (int step = 0; step < 5; step++) {
            for (Optimizer o : List.of(opt, reference)) {
                o.zeroGrad();
                loss(o == opt ? model.params() : reference.params(), x, y).backward();
                o.step();
            }
            assertSame(opt.params(), model.params());
            assertArrayEquals(reference.params().get("w").toDoubleArray(), model.params().get("w").toDoubleArray(), 0);
        }
        assertEquals(5, model.handedBack);
    }

    /** b gets no gradient at the first step: it stays; the schedule follows the optimizer's steps, as PyTorch's scheduler. */
    @Test
    void missingGradientsAreSkippedAndLrFollowsTheSchedule() {
        Params p = Params.of("a", Tensor.ones(DType.FLOAT64, 2), "b", Tensor.ones(DType.FLOAT64, 3)).requiresGrad();
        Optimizer opt = new Optimizer(Sgd.builder().lr(1.0).momentum(0.5).schedule(Schedules.step(1, 0.5)).build(), p);
        Tensor l = opt.params().get("a").sum(); // b receives no gradient
        l.backward();
        assertEquals(1.0, opt.lr());
        opt.step();
        assertArrayEquals(new double[] {0, 0}, opt.params().get("a").toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1}, opt.params().get("b").toDoubleArray());
        assertEquals(0.5, opt.lr());
        opt.step(Params.of("a", Tensor.ones(DType.FLOAT64, 2), "b", Tensor.ones(DType.FLOAT64, 3)));
        // a: buf = 0.5·1 + 1 = 1.5, a = 0 − 0.5·1.5; b: its first step, buf = g = 1, b = 1 − 0.5·1
        assertArrayEquals(new double[] {-0.75, -0.75}, opt.params().get("a").toDoubleArray());
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, opt.params().get("b").toDoubleArray());
        assertTrue(opt.toString().startsWith("Optimizer(Sgd(lr=1.0, schedule=step(every 1, gamma 0.5)"), opt.toString());
    }
}
