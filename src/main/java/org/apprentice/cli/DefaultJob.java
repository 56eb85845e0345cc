package org.apprentice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.data.FashionMnistFiles;
import org.apprentice.kd.Scheme;
import org.apprentice.model.ModelSize;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.WeightDecay;
import org.apprentice.train.RunSettings;
import org.apprentice.train.TrainingRun;

/**
 * What {@code apprentice} does with no command: the paper's pipeline in small, on the embedded default
 * (Fashion-MNIST, a stratified 5,000-image training subset, the whole 10,000-image test split). It
 * trains a full-precision teacher, then a ternary-weight, 8-bit-activation student twice, without
 * distillation (the control) and with scheme B, and prints the three test accuracies side by side.
 */
final class DefaultJob {
    static final String TEACHER = "resnet20";
    static final String STUDENT = "resnet8";
    static final int SUBSET = 5000;
    static final int EPOCHS = 3;

    int run(Path home, PrintStream out) throws IOException {
        Path data = FashionMnistFiles.locate(home);
        Path runs = home.resolve("runs").resolve("default-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        out.println("Fashion-MNIST from " + data + "; runs in " + runs);
        out.printf("%n[1/3] full-precision teacher %s%n", TEACHER);
        TrainingRun.Result teacher = new TrainingRun(settings(Scheme.NONE, TEACHER, PrecisionSpec.fullPrecision(),
                null, runs.resolve("teacher")), home, out).run();
        PrecisionSpec low = PrecisionSpec.of(2, 8);
        out.printf("%n[2/3] ternary student %s without distillation (the control)%n", STUDENT);
        TrainingRun.Result control = new TrainingRun(settings(Scheme.NONE, STUDENT, low, null,
                runs.resolve("student-no-distillation")), home, out).run();
        out.printf("%n[3/3] ternary student %s distilled from the teacher (scheme B)%n", STUDENT);
        TrainingRun.Result apprentice = new TrainingRun(settings(Scheme.B, STUDENT, low, teacher.studentZip(),
                runs.resolve("student-scheme-b")), home, out).run();
        out.printf("%n%-44s %8s %8s %10s  %s%n", "Fashion-MNIST test split (10,000 images)", "top-1", "top-5", "size",
                "model");
        row(out, TEACHER + " fp32 teacher", teacher);
        row(out, STUDENT + " ternary/8-bit, no distillation", control);
        row(out, STUDENT + " ternary/8-bit, scheme B (apprentice)", apprentice);
        out.println("\nSmall on purpose (" + SUBSET + " training images, " + EPOCHS + " epochs); "
                + "'apprentice train --help' runs any scheme at full size.");
        return 0;
    }

    private static void row(PrintStream out, String label, TrainingRun.Result r) {
        out.printf("%-44s %7.2f%% %7.2f%% %10s  %s%n", label, 100 * r.student().top1(), 100 * r.student().top5(),
                ModelSize.megabytes(r.size().lowPrecisionBytes()), r.studentZip());
    }

    private static RunSettings settings(Scheme scheme, String student, PrecisionSpec precision, java.io.File teacherZip,
                                        Path out) {
        return RunSettings.builder().scheme(scheme).student(student).precision(precision).teacher(TEACHER)
                .teacherModel(teacherZip == null ? null : teacherZip.toPath()).data(DataSpec.FASHION_MNIST)
                .trainSubset(SUBSET).epochs(EPOCHS).batch(64).learningRate(0.1)
                // the first study's protocol, until the second study picks the demo's comparison: no augmentation
                // (so the teacher's logits are computed once) and DL4J's decoupled weight decay
                .augment(Augment.NONE).weightDecayForm(WeightDecay.DECOUPLED).cacheTeacherLogits(true).out(out)
                .build();
    }
}
