package org.apprentice.train;

import org.apprentice.eval.Accuracy;
import org.apprentice.kd.EpochMetrics;

/**
 * One epoch of a run, as {@code metrics.csv} holds it (one row, written and read by {@link MetricsCsv}): what
 * training measured ({@link EpochMetrics}), the learning rate, and the test accuracies in [0, 1] (NaN for a teacher
 * that is not trained with the student, and for an epoch not evaluated).
 */
public record EpochRecord(EpochMetrics training, double lr, double studentTop1, double studentTop5, double teacherTop1,
                          double teacherTop5) {

    /**
     * The record of a trained epoch and its test accuracies ({@code teacher} null when no teacher is trained; both null
     * for an epoch not evaluated, {@code --eval-every}).
     */
    public static EpochRecord of(EpochMetrics m, double lr, Accuracy student, Accuracy teacher) {
        return new EpochRecord(m, lr, student == null ? Double.NaN : student.top1(),
                student == null ? Double.NaN : student.top5(), teacher == null ? Double.NaN : teacher.top1(),
                teacher == null ? Double.NaN : teacher.top5());
    }

    /** Whether the student was evaluated on the test split after this epoch. */
    public boolean evaluated() {
        return !Double.isNaN(studentTop1);
    }

    public int epoch() {
        return training.epoch();
    }
}
