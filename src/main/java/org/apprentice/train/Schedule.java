package org.apprentice.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apprentice.io.FlagValues;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** Learning-rate schedules by epoch, made as DL4J {@code MapSchedule}s so that they serialise with the model. */
public enum Schedule {
    /** The base rate throughout. */
    CONSTANT,
    /** x0.1 at half and again at three quarters of the epochs (He et al.). */
    STEP,
    /** base·(1 + cos(π·epoch/epochs))/2, per epoch. */
    COSINE;

    /** The rate of every epoch (0-based) for a run of {@code epochs} epochs starting at {@code base}. */
    public ISchedule of(double base, int epochs) {
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
        }
        return new MapSchedule(ScheduleType.EPOCH, values);
    }

    /** The flag's spelling: constant, step, cosine. */
    public String flag() {
        return name().toLowerCase();
    }

    /** Parses constant, step or cosine (any case); the error names the allowed values. */
    public static Schedule parse(String text) {
        return FlagValues.parse("--schedule", text, values(), Schedule::flag);
    }
}
