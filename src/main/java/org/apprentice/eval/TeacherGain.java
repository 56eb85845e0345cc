package org.apprentice.eval;

import java.util.List;

/**
 * A student trained with a teacher against its control (the same student without one), read against the runs' own
 * noise: the larger of the two runs' last changes of test top-1 from one epoch to the next. One seed has no better
 * measure of its noise; at a schedule's smallest learning rate it is a lower bound, so a gain beyond it is still one
 * seed's. Counted in test images, so that a gain equal to the swing is "within" whatever the float rounding.
 *
 * @param images the test images
 * @param gain   correct images of the student with a teacher minus its control's
 * @param swing  the larger last epoch-to-epoch change of either run, in images
 */
public record TeacherGain(long images, long gain, long swing) {
    /**
     * From the two runs' final accuracies and their test top-1 per epoch (at least two epochs each).
     */
    public static TeacherGain of(Accuracy control, Accuracy apprentice, List<Double> controlTop1ByEpoch,
                                 List<Double> apprenticeTop1ByEpoch) {
        long images = control.examples();
        return new TeacherGain(images, hits(apprentice.top1(), images) - hits(control.top1(), images),
                Math.max(lastSwing(controlTop1ByEpoch, images), lastSwing(apprenticeTop1ByEpoch, images)));
    }

    public double gainPoints() {
        return 100.0 * gain / images;
    }

    public double swingPoints() {
        return 100.0 * swing / images;
    }

    /** Whether the gain is no larger than the swing: no difference the runs can tell from noise. */
    public boolean withinSwing() {
        return Math.abs(gain) <= swing;
    }

    /** The reading in one sentence. */
    public String verdict() {
        if (withinSwing()) {
            return "Within that swing: at this size the teacher made no difference the job can tell from noise.";
        }
        return gain > 0 ? "Beyond that swing: the teacher helped here (one seed; more seeds are the test)."
                : "Beyond that swing, the other way: distillation did not help here (one seed).";
    }

    /** The change of a run's test top-1 over its last epoch, in test images. */
    private static long lastSwing(List<Double> top1ByEpoch, long images) {
        if (top1ByEpoch.size() < 2) {
            throw new IllegalArgumentException("a run's noise needs at least 2 epochs, got " + top1ByEpoch.size());
        }
        return Math.abs(hits(top1ByEpoch.get(top1ByEpoch.size() - 1), images)
                - hits(top1ByEpoch.get(top1ByEpoch.size() - 2), images));
    }

    /** The number of correct test images a top-1 fraction stands for. */
    private static long hits(double top1, long images) {
        return Math.round(top1 * images);
    }
}
