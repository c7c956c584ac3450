package dev.proxima.train;

import dev.proxima.autograd.Params;

/**
 * What a learner on one worker holds between steps, and its checkpoint: parameters, buffers,
 * its rule's state (of type {@code S}) and the step count. {@link RuleLearner} and
 * {@link KfacLearner} differ only in how a step moves them.
 */
abstract class OneWorkerLearner<S> implements Learner {
    protected Params params, buffers;
    protected S state;
    protected long steps;
    /** The rate the last step used (NaN: none yet). */
    protected double lastLr = Double.NaN;

    protected OneWorkerLearner(Objective objective) {
        this.params = objective.model().params().detach();
        this.buffers = objective.model().buffers().detach();
    }

    @Override
    public Params params() {
        return params;
    }

    @Override
    public Params buffers() {
        return buffers;
    }

    @Override
    public double lastLr() {
        return lastLr;
    }

    @Override
    public TrainState state() {
        return new TrainState(params, buffers, state, steps);
    }

    @Override
    @SuppressWarnings("unchecked") // a TrainState restored here was made by a learner of the same kind
    public void restore(TrainState s) {
        params = s.params().detach();
        buffers = s.buffers().detach();
        state = (S) s.optimizer();
        steps = s.step();
    }
}
