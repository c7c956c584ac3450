package dev.proxima.train;

import dev.proxima.autograd.Params;
import dev.proxima.autograd.Tensor;
import dev.proxima.optim.apo.Apo;
import dev.proxima.optim.apo.ApoConfig;
import dev.proxima.optim.apo.ApoRule;
import dev.proxima.parallel.Collective;
import dev.proxima.parallel.DataParallelApo;

/** {@link Learner#apo}: APO (LR or Precond) over a base rule; the learned rate is what {@link #lr} reports. */
final class ApoLearner<S> implements Learner {
    private final Apo<S> apo;
    private final DataParallelApo<S> worker; // null on one worker
    private final MovingBuffers model;

    ApoLearner(ApoRule<S> rule, Objective objective, ApoConfig config) {
        this.model = new MovingBuffers(objective, objective.model().buffers().detach());
        this.apo = new Apo<>(rule, model, objective.loss(), objective.model().params(), config);
        this.worker = null;
    }

    /** One data-parallel worker on {@code collective} (its constructor broadcasts rank 0's parameters: call on every rank). */
    ApoLearner(ApoRule<S> rule, Objective objective, ApoConfig config, Params start, Params buffers, Collective collective) {
        this.model = new MovingBuffers(objective, buffers);
        this.worker = new DataParallelApo<>(collective, rule, model, objective.loss(), start, config);
        this.apo = worker.apo();
    }

    @Override
    public double step(Tensor x, Tensor y, Tensor xMeta) {
        model.arm();
        double loss = worker != null ? worker.step(x, y, xMeta) : apo.step(x, y, xMeta);
        model.commit();
        return loss;
    }

    @Override
    public boolean usesSecondBatch() {
        return true;
    }

    @Override
    public Params params() {
        return apo.params();
    }

    @Override
    public Params buffers() {
        return model.buffers();
    }

    @Override
    public double lr() {
        return Learner.learnedRate(apo);
    }

    /** After a step, the rate its meta-step left: the one its update used. */
    @Override
    public double lastLr() {
        return apo.steps() == 0 ? Double.NaN : lr();
    }

    @Override
    public TrainState state() {
        return new TrainState(apo.params(), model.buffers(), new TrainState.ApoState<>(apo.state(), apo.meta(), apo.metaState()), apo.steps());
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restore(TrainState s) {
        TrainState.ApoState<S> a = (TrainState.ApoState<S>) s.optimizer();
        apo.restore(s.params(), a.base(), a.meta(), a.metaOptimizer(), s.step());
        model.set(s.buffers().detach());
    }
}
