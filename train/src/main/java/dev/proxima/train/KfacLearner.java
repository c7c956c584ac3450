package dev.proxima.train;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Tapped;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Update;

/**
 * {@link Learner#kfac}: each step evaluates the model with taps on its Linear/Conv2d layers,
 * so the Kronecker factors see what every layer saw and the gradient it got back (the taps
 * need the loss's graph, so this step computes its gradient through {@link Kfac#gradients}
 * rather than {@link Autograd#valueAndGrad}).
 */
final class KfacLearner extends OneWorkerLearner<Kfac.State> {
    private final Kfac kfac;
    private final Objective objective;
    private final double lr;

    KfacLearner(Kfac kfac, Objective objective, double lr) {
        super(objective);
        this.kfac = kfac;
        this.objective = objective;
        this.lr = lr;
        try (var off = Autograd.noGrad()) {
            this.state = kfac.init(params);
        }
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        Params leaves = params.requiresGrad();
        Tapped tapped;
        Tensor j;
        try (var on = Autograd.enableGrad()) {
            tapped = objective.model().applyTapped(leaves, buffers, x);
            j = objective.loss().apply(tapped.output(), y);
        }
        Kfac.Gradients g = Kfac.gradients(j, leaves, tapped.taps(), x.shape(0));
        try (var off = Autograd.noGrad()) {
            Update<Kfac.State> u = kfac.update(g.grads(), state, params, g.curvature());
            params = u.params().detach();
            state = u.state();
        }
        buffers = tapped.buffers().detach();
        steps++;
        return j.item();
    }

    @Override
    public double lr() {
        return lr;
    }
}
