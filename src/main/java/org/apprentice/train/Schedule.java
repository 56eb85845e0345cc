package org.apprentice.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apprentice.io.FlagValues;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * Learning-rate schedules, by epoch (DL4J {@code MapSchedule}s) or by optimizer step ({@link CosineStepSchedule}), made
 * as DL4J schedules so that they serialise with the model.
 */
public enum Schedule {
    /** The base rate throughout. */
    CONSTANT,
    /** x0.1 at half and again at three quarters of the epochs (He et al.). */
    STEP,
    /** base·(1 + cos(π·epoch/epochs))/2, per epoch. */
    COSINE,
    /**
     * base·(1 + cos(π·step/steps))/2 over the run's optimizer steps: the same curve, smooth within an epoch, for
     * runs of a few long epochs (a budget of steps on a large training set).
     */
    COSINE_STEPS;

    /** Whether the rate changes with each optimizer step (DL4J's iteration count), not only between epochs. */
    public boolean bySteps() {
        return this == COSINE_STEPS;
    }

    /**
     * The schedule of a run of {@code epochs} epochs of {@code stepsPerEpoch} optimizer steps each, starting at
     * {@code base}; the epoch schedules ignore the steps.
     */
    public ISchedule of(double base, int epochs, long stepsPerEpoch) {
        if (this == COSINE_STEPS) {
            return new CosineStepSchedule(base, epochs * stepsPerEpoch);
        }
        Map<Integer, Double> values = new LinkedHashMap<>();
        switch (this) {
            case CONSTANT -> values.put(0, base);
            case STEP -> {
                values.put(0, base);
                if (epochs >= 2) {
                    values.put(epochs / 2, base * 0.1);
                }
                if (epochs >= 4) {
                    values.put(3 * epochs / 4, base * 0.01);
                }
            }
            case COSINE -> {
                for (int e = 0; e < epochs; e++) {
                    values.put(e, base * 0.5 * (1 + Math.cos(Math.PI * e / epochs)));
                }
            }
            default -> throw new IllegalStateException("not a schedule by epoch: " + this);
        }
        return new MapSchedule(ScheduleType.EPOCH, values);
    }

    /** The flag's spelling: constant, step, cosine, cosine-steps. */
    public String flag() {
        return name().toLowerCase().replace('_', '-');
    }

    /** Parses constant, step, cosine or cosine-steps (any case); the error names the allowed values. */
    public static Schedule parse(String text) {
        return FlagValues.parse("--schedule", text, values(), Schedule::flag);
    }
}
