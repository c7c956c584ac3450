package dev.proxima.optim;

/**
 * A learning-rate schedule: the factor the base learning rate is multiplied by before the
 * update numbered {@code step} (0 for the first update), as PyTorch's {@code LambdaLR}.
 * Schedules are plain functions of the step count, so they never take part in a gradient;
 * {@link Schedules} has the usual ones and ways to compose them.
 */
@FunctionalInterface
public interface Schedule {

    /** The multiplier for the update numbered {@code step} (>= 0). */
    double at(long step);

    /** The pointwise product of two schedules (e.g. a warmup times a cosine decay). */
    default Schedule times(Schedule other) {
        Schedule self = this;
        return new Schedule() {
            @Override public double at(long step) { return self.at(step) * other.at(step); }
            @Override public String toString() { return self + " * " + other; }
        };
    }

    /**
     * This schedule for the first {@code steps} updates, then {@code next} with its step
     * count restarted at 0 (PyTorch's {@code SequentialLR}, optax's {@code join_schedules}).
     */
    default Schedule then(long steps, Schedule next) {
        if (steps < 0) throw new IllegalArgumentException("Schedule.then: steps " + steps + " < 0");
        Schedule self = this;
        return new Schedule() {
            @Override public double at(long step) { return step < steps ? self.at(step) : next.at(step - steps); }
            @Override public String toString() { return self + " for " + steps + ", then " + next; }
        };
    }
}
