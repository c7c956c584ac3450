package dev.proxima.optim.apo;

import java.util.Map;

/** Observes {@link Apo} after every training step, e.g. to plot the learning rate it found. */
@FunctionalInterface
public interface ApoListener {

    void onStep(Step step);

    /**
     * One training step.
     *
     * @param index         the step's index, from 0
     * @param loss          the training loss J_B(θ) on the step's batch, before the step
     * @param learningRates the learning rate(s) the step used (after any meta-update at this
     *                      step): "global", or one per layer
     * @param metaObjective Q(φ) before this step's meta-update, or NaN when the step had none
     */
    record Step(long index, double loss, Map<String, Double> learningRates, double metaObjective) {
        /** Whether φ was meta-updated at this step. */
        public boolean metaStep() {
            return !Double.isNaN(metaObjective);
        }
    }
}
