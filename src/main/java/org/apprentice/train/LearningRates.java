package org.apprentice.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** Learning-rate schedules by epoch (DL4J {@code MapSchedule}s, so they serialise with the model). */
public final class LearningRates {
    private LearningRates() {
    }

    /**
     * {@code constant}; {@code step}: x0.1 at half and again at three quarters of the epochs (He et al.);
     * {@code cosine}: base·(1 + cos(π·epoch/epochs))/2, per epoch.
     */
    public static ISchedule schedule(String kind, double base, int epochs) {
        Map<Integer, Double> values = new LinkedHashMap<>();
        switch (kind.toLowerCase()) {
            case "constant" -> values.put(0, base);
            case "step" -> {
                values.put(0, base);
                if (epochs >= 2) {
                    values.put(epochs / 2, base * 0.1);
                }
                if (epochs >= 4) {
                    values.put(3 * epochs / 4, base * 0.01);
                }
            }
            case "cosine" -> {
                for (int e = 0; e < epochs; e++) {
                    values.put(e, base * 0.5 * (1 + Math.cos(Math.PI * e / epochs)));
                }
            }
            default -> throw new IllegalArgumentException("--schedule '" + kind + "' is not one of constant, step, cosine");
        }
        return new MapSchedule(ScheduleType.EPOCH, values);
    }
}
