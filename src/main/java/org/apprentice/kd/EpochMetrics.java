package org.apprentice.kd;

/**
 * What one epoch of training did, as the trainer measures it: mean loss terms over its examples (pre-update forward
 * passes, NaN where a term does not apply), training accuracies, time and throughput. The run adds its learning rate
 * and test accuracies to make the epoch's record ({@code org.apprentice.train.EpochRecord}).
 */
public record EpochMetrics(int epoch, double teacherCrossEntropy, double studentCrossEntropy, double distillation,
                           double loss, long images, double seconds, long teacherForwardPasses, double studentTrainTop1,
                           double studentTrainTop5, double teacherTrainTop1) {
    public double imagesPerSecond() {
        return images / seconds;
    }
}
