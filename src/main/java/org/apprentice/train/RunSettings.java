package org.apprentice.train;

import java.io.File;
import java.nio.file.Path;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Scheme;
import org.apprentice.model.PrecisionSpec;

/**
 * Everything that fixes one training run.
 *
 * @param data           "fashion-mnist", "synthetic", "cifar10:DIR" or an image folder DIR
 * @param trainSubset    images kept from the training split (stratified, seeded); 0 keeps all
 * @param teacherModel   a trained full-precision teacher zip (schemes B and C)
 * @param studentInit    a trained full-precision student zip (scheme C)
 * @param uiPort         the port of DL4J's training UI (StatsListener), or 0 for none
 */
public record RunSettings(Scheme scheme, String student, double studentWidth, PrecisionSpec precision,
                          String teacher, double teacherWidth, File teacherModel, File studentInit,
                          String data, int trainSubset, int epochs, int batch, double learningRate,
                          double weightDecay, double alpha, double beta, double gamma, double temperature,
                          ApprenticeLoss.Target target, boolean cacheTeacherLogits, long seed, Path out,
                          int imageSize, int workers, boolean skipBadImages, String schedule, boolean resume,
                          int stopAfterEpoch, int uiPort) {

    /** The settings that must not change when a run is resumed (out, resume and stop-after are where and how). */
    public java.util.Map<String, String> identity() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("scheme", scheme.name());
        m.put("student", student + " x" + studentWidth + " " + precision);
        m.put("teacher", scheme.needsTeacher() ? teacher + " x" + teacherWidth : "");
        m.put("teacherModel", String.valueOf(teacherModel));
        m.put("studentInit", String.valueOf(studentInit));
        m.put("data", data + " subset " + trainSubset + " size " + imageSize);
        m.put("optimiser", "batch " + batch + " lr " + learningRate + " " + schedule + " wd " + weightDecay
                + " epochs " + epochs);
        m.put("loss", "alpha " + alpha + " beta " + beta + " gamma " + gamma + " T " + temperature + " " + target);
        m.put("seed", String.valueOf(seed));
        return m;
    }

    /** The deeper ResNet of the same shape family that teaches {@code student} by default. */
    public static String defaultTeacher(String student) {
        return switch (student) {
            case "resnet8" -> "resnet20";
            case "resnet20" -> "resnet32";
            case "resnet32" -> "resnet44";
            case "resnet44" -> "resnet56";
            case "resnet56", "resnet110" -> "resnet110";
            case "resnet18" -> "resnet34";
            case "resnet34" -> "resnet50";
            case "resnet50" -> "resnet101";
            default -> "resnet152";
        };
    }
}
