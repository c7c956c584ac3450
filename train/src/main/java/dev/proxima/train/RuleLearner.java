package dev.proxima.train;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.optim.UpdateRule;

/** {@link Learner#of}: a pure update rule stepped by hand; the state is a value a checkpoint can hold. */
final class RuleLearner<S> extends OneWorkerLearner<S> {
    private final UpdateRule<S> rule;
    private final Objective objective;

    RuleLearner(UpdateRule<S> rule, Objective objective) {
        super(objective);
        this.rule = rule;
        this.objective = objective;
        try (var off = Autograd.noGrad()) {
            this.state = rule.init(params);
        }
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        Params[] moved = {buffers};
        Autograd.ValueAndGrad vg = Autograd.valueAndGrad(p -> {
            Module.Applied a = objective.forward(p, buffers, x);
            moved[0] = a.buffers();
            return objective.loss().apply(a.output(), y);
        }, params);
        lastLr = rule.learningRate(state);
        UpdateRule.Step<S> u = rule.step(vg.grads(), state, params);
        params = u.params();
        state = u.state();
        buffers = moved[0];
        steps++;
        return vg.loss();
    }

    @Override
    public double lr() {
        return rule.learningRate(state);
    }
}
