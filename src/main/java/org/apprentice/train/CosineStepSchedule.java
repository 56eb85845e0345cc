package org.apprentice.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The cosine learning rate by optimizer step, {@code base·(1 + cos(π·step/steps))/2}, for runs whose length is a budget
 * of steps rather than of epochs ({@code --schedule cosine-steps}): a run of one or three epochs still decays smoothly
 * to 0 instead of holding one rate per epoch. DL4J counts the steps (each {@code fit} of a minibatch) in the network's
 * configuration, which checkpoints keep, so a resumed run continues the same curve. Serialised with the model as DL4J's
 * own schedules are (Jackson, by class).
 */
public final class CosineStepSchedule implements ISchedule {
    private final double base;
    private final long steps;

    public CosineStepSchedule(@JsonProperty("base") double base, @JsonProperty("steps") long steps) {
        Checks.positive("the schedule's base rate", base);
        if (steps < 1) {
            throw new IllegalArgumentException("a cosine schedule by steps needs at least one step, got " + steps);
        }
        this.base = base;
        this.steps = steps;
    }

    public double getBase() {
        return base;
    }

    public long getSteps() {
        return steps;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        double at = Math.min(Math.max(iteration, 0), steps);
        return base * 0.5 * (1 + Math.cos(Math.PI * at / steps));
    }

    @Override
    public ISchedule clone() {
        return new CosineStepSchedule(base, steps);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineStepSchedule c && c.base == base && c.steps == steps;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(base) * 31 + Long.hashCode(steps);
    }

    @Override
    public String toString() {
        return "cosine over " + steps + " steps from " + base;
    }
}
