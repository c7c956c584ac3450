package dev.proxima.train;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Tapped;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Update;
import dev.proxima.tensor.Rng;

/**
 * {@link Learner#kfac}: each step evaluates the model with taps on its Linear/Conv2d layers,
 * so the Kronecker factors see what every layer saw and the gradient it got back (the taps
 * need the loss's graph, so this step computes its gradient through {@link Kfac#gradients}
 * rather than {@link Autograd#valueAndGrad}). With the true Fisher ({@link KfacOptions}) the
 * output gradients come from the sampled loss, taken first with the graph kept, and the
 * parameters' gradient from the real loss after it.
 */
final class KfacLearner extends OneWorkerLearner<Kfac.State> {
    private final Kfac kfac;
    private final Objective objective;
    private final double lr;
    private final KfacOptions options;
    private final Rng rng; // the true Fisher's draws; null for the empirical Fisher

    KfacLearner(Kfac kfac, Objective objective, double lr, KfacOptions options) {
        super(objective);
        this.kfac = kfac;
        this.objective = objective;
        this.lr = lr;
        this.options = options;
        this.rng = options.isTrueFisher() ? new Rng(options.seed()) : null;
        try (var off = Autograd.noGrad()) {
            this.state = kfac.init(params);
        }
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        Params leaves = params.requiresGrad();
        Tapped tapped;
        Tensor j, sampled = null;
        try (var on = Autograd.enableGrad()) {
            tapped = objective.model().applyTapped(leaves, buffers, x);
            j = objective.loss().apply(tapped.output(), y);
            if (rng != null) sampled = options.sampledLoss().apply(tapped.output(), rng);
        }
        int n = options.examples().applyAsInt(x, y);
        Params grads;
        Kfac.Curvature curvature;
        if (rng != null) {
            curvature = Kfac.curvature(sampled, tapped.taps(), n); // keeps the graph for the real loss's gradient
            grads = Autograd.grad(j, leaves);
        } else {
            Kfac.Gradients g = Kfac.gradients(j, leaves, tapped.taps(), n);
            grads = g.grads();
            curvature = g.curvature();
        }
        try (var off = Autograd.noGrad()) {
            Update<Kfac.State> u = kfac.update(grads, state, params, curvature);
            params = u.applyTo(params).detach();
            state = u.state();
        }
        buffers = tapped.buffers().detach();
        lastLr = lr;
        steps++;
        return j.item();
    }

    @Override
    public double lr() {
        return lr;
    }
}
