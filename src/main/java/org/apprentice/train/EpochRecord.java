package org.apprentice.train;

import org.apprentice.eval.Accuracy;
import org.apprentice.kd.ApprenticeTrainer.EpochMetrics;

/**
 * One epoch of a run, as {@code metrics.csv} holds it (one row, written and read by {@link RunFolder}):
 * the learning rate, the mean loss terms over the epoch's training minibatches, test and training accuracies
 * in [0, 1], and time. NaN where a term does not apply (no teacher: teacher columns; scheme none: distillation).
 */
public record EpochRecord(int epoch, double lr, double teacherCe, double studentCe, double distillation, double loss,
                          double studentTop1, double studentTop5, double teacherTop1, double teacherTop5,
                          double seconds, double imagesPerSecond, long teacherForwardPasses,
                          double studentTrainTop1, double studentTrainTop5, double teacherTrainTop1) {

    /** The record of a trained epoch and its test accuracies ({@code teacher} null when no teacher is trained). */
    public static EpochRecord of(EpochMetrics m, double lr, Accuracy student, Accuracy teacher) {
        return new EpochRecord(m.epoch(), lr, m.teacherCrossEntropy(), m.studentCrossEntropy(), m.distillation(),
                m.loss(), student.top1(), student.top5(), teacher == null ? Double.NaN : teacher.top1(),
                teacher == null ? Double.NaN : teacher.top5(), m.seconds(), m.imagesPerSecond(),
                m.teacherForwardPasses(), m.studentTrainTop1(), m.studentTrainTop5(), m.teacherTrainTop1());
    }
}
