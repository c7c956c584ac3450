package dev.proxima.bench.apo;

import dev.proxima.autograd.Autograd;
import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.nn.Module;
import dev.proxima.nn.Tapped;
import dev.proxima.nn.data.Batch;
import dev.proxima.optim.Kfac;
import dev.proxima.optim.Update;

/**
 * The KFAC baseline: optim's {@link Kfac} with its documented defaults (lr 0.01, momentum 0.9,
 * damping 1e-3, factors every step, inverses every 20, KL clipping 1e-3), not tuned for the
 * study, like Adam at its default rate. Factors come from the batch loss's own gradients (the
 * empirical Fisher, Kfac's plain path); layers without a tap (layer norms, embeddings) take
 * Kfac's SGD-momentum fallback.
 */
final class KfacTrainer implements ApoStudy.Trainer {
    private final Kfac kfac = Kfac.builder().build();
    private final Module model;
    private final StudyTask task;
    private Params params;
    private Kfac.State state;

    private KfacTrainer(Module model, StudyTask task, Params init) {
        this.model = model;
        this.task = task;
        this.params = init;
        this.state = kfac.init(init);
    }

    static boolean available() {
        return true;
    }

    static ApoStudy.Trainer create(Module model, StudyTask task, Params init) {
        return new KfacTrainer(model, task, init);
    }

    static String describe() {
        Kfac k = Kfac.builder().build();
        return "KFAC, optim's defaults: lr " + k.lr().value("") + ", momentum 0.9, damping " + k.damping() + ", inverses every "
                + k.inverseEvery() + ", KL clip 1e-3";
    }

    @Override
    public double step(Batch b, Batch meta) {
        Params leaves = params.requiresGrad();
        Tapped t;
        Tensor loss;
        try (var on = Autograd.enableGrad()) {
            t = model.applyTapped(leaves, b.x());
            loss = task.loss(t.output(), b.y());
        }
        Kfac.Gradients g = Kfac.gradients(loss, leaves, t.taps(), task.examplesPerLoss(b));
        try (var off = Autograd.noGrad()) {
            Update<Kfac.State> u = kfac.update(g.grads(), state, params, g.curvature());
            params = u.params();
            state = u.state();
        }
        return loss.item();
    }

    @Override
    public Params params() {
        return params;
    }

    @Override
    public double lr() {
        return kfac.lr().value("");
    }
}
