package dev.proxima.optim;

import java.util.Arrays;

/**
 * The common learning-rate schedules, as multipliers of the base rate with PyTorch's
 * {@code torch.optim.lr_scheduler} semantics where one exists (the step counts updates,
 * where PyTorch's schedulers usually count calls to {@code scheduler.step()}). Compose them
 * with {@link Schedule#times} and {@link Schedule#then}.
 */
public final class Schedules {
    private Schedules() {}

    /** Always 1. */
    public static Schedule constant() {
        return named(step -> 1.0, "constant");
    }

    /** {@code gamma^floor(step / stepSize)}: PyTorch's {@code StepLR}. */
    public static Schedule step(long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("Schedules.step: stepSize " + stepSize + " must be > 0");
        return named(step -> Math.pow(gamma, Math.floorDiv(check(step), stepSize)), "step(every " + stepSize + ", gamma " + gamma + ")");
    }

    /** {@code gamma^(number of milestones <= step)}: PyTorch's {@code MultiStepLR}. */
    public static Schedule multiStep(double gamma, long... milestones) {
        long[] m = milestones.clone();
        Arrays.sort(m);
        return named(step -> {
            int passed = 0;
            for (long x : m) if (check(step) >= x) passed++;
            return Math.pow(gamma, passed);
        }, "multiStep(" + Arrays.toString(m) + ", gamma " + gamma + ")");
    }

    /** {@code gamma^step}: PyTorch's {@code ExponentialLR}. */
    public static Schedule exponential(double gamma) {
        return named(step -> Math.pow(gamma, check(step)), "exponential(gamma " + gamma + ")");
    }

    /**
     * Half a cosine from 1 down to {@code minFactor} over {@code totalSteps}, then
     * {@code minFactor}: {@code m + (1 - m)(1 + cos(pi t / T)) / 2} with t capped at T,
     * PyTorch's {@code CosineAnnealingLR} closed form with {@code eta_min = m * lr}.
     */
    public static Schedule cosine(long totalSteps, double minFactor) {
        if (totalSteps <= 0) throw new IllegalArgumentException("Schedules.cosine: totalSteps " + totalSteps + " must be > 0");
        return named(step -> {
            double t = Math.min(check(step), totalSteps);
            return minFactor + (1 - minFactor) * (1 + Math.cos(Math.PI * t / totalSteps)) / 2;
        }, "cosine(" + totalSteps + " steps, min " + minFactor + ")");
    }

    /**
     * A linear ramp from {@code startFactor} to {@code endFactor} over {@code steps}, then
     * {@code endFactor}: PyTorch's {@code LinearLR}.
     */
    public static Schedule linear(double startFactor, double endFactor, long steps) {
        if (steps <= 0) throw new IllegalArgumentException("Schedules.linear: steps " + steps + " must be > 0");
        return named(step -> startFactor + (endFactor - startFactor) * Math.min(check(step), steps) / steps,
                "linear(" + startFactor + " -> " + endFactor + " over " + steps + ")");
    }

    /**
     * Linear warmup: {@code (step + 1) / warmupSteps} for the first {@code warmupSteps}
     * updates (so the first update is not taken at rate 0), then 1. Follow it with a decay by
     * {@code warmup(w).then(w, cosine(...))}.
     */
    public static Schedule warmup(long warmupSteps) {
        if (warmupSteps <= 0) throw new IllegalArgumentException("Schedules.warmup: warmupSteps " + warmupSteps + " must be > 0");
        return named(step -> Math.min(1.0, (double) (check(step) + 1) / warmupSteps), "warmup(" + warmupSteps + ")");
    }

    private static long check(long step) {
        if (step < 0) throw new IllegalArgumentException("Schedule: step " + step + " < 0");
        return step;
    }

    private static Schedule named(Schedule s, String name) {
        return new Schedule() {
            @Override public double at(long step) { return s.at(step); }
            @Override public String toString() { return name; }
        };
    }
}
