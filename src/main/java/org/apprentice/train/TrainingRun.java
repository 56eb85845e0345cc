package org.apprentice.train;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.data.DataSource;
import org.apprentice.eval.Accuracy;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.ApprenticeTrainer;
import org.apprentice.kd.ApprenticeTrainer.EpochMetrics;
import org.apprentice.kd.Heads;
import org.apprentice.kd.Models;
import org.apprentice.kd.Scheme;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelSize;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ISchedule;
import java.nio.file.Path;

/**
 * One training run of any scheme: builds or loads the teacher and student, trains for the given
 * epochs printing one line per epoch, evaluates top-1/top-5 on the whole test split, and writes the
 * student (and, in scheme A, the teacher) as DL4J zips plus a CSV row per epoch into the run folder.
 */
public final class TrainingRun {

    /** What a finished run reports. */
    public record Result(Accuracy student, Accuracy teacher, File studentZip, List<EpochMetrics> epochs,
                         ModelSize size) {
    }

    private final RunSettings s;
    private final PrintStream out;
    private final java.nio.file.Path home;

    public TrainingRun(RunSettings settings, java.nio.file.Path home, PrintStream out) {
        this.s = settings;
        this.home = home;
        this.out = out;
    }

    public Result run() throws IOException {
        DataSource data = DataSource.open(s.data(), home, s.imageSize(), s.trainSubset(), s.seed(), s.workers(),
                s.skipBadImages());
        String dataFingerprint = data.fingerprint();
        InputShape shape = data.shape();
        int classes = data.classes();

        ISchedule learningRate = LearningRates.schedule(s.schedule(), s.learningRate(), s.epochs());
        ResNetConfig studentConfig = ResNetConfig.of(s.student(), classes, shape).withWidthMultiplier(s.studentWidth())
                .withPrecision(s.precision()).withSeed(s.seed())
                .withUpdater(new Nesterovs(learningRate, 0.9), s.weightDecay());
        ResNetConfig teacherConfig = ResNetConfig.of(s.teacher(), classes, shape).withWidthMultiplier(s.teacherWidth())
                .withSeed(s.seed() + 1).withUpdater(new Nesterovs(learningRate, 0.9), s.weightDecay());
        ApprenticeLoss loss = new ApprenticeLoss(s.beta(), s.gamma(), s.temperature(), s.target());

        Checkpoints.Restored restored = s.resume()
                ? Checkpoints.load(s.out(), s.identity(), s.scheme() == Scheme.A) : null;
        int firstEpoch = restored == null ? 1 : restored.epoch() + 1;
        ComputationGraph teacher = null;
        ComputationGraph student;
        ApprenticeTrainer trainer;
        switch (s.scheme()) {
            case NONE -> {
                student = restored != null ? restored.student() : ResNetBuilder.build(studentConfig);
                trainer = ApprenticeTrainer.withoutTeacher(student);
            }
            case A -> {
                teacher = restored != null ? restored.teacher()
                        : ResNetBuilder.build(teacherConfig, Heads.teacher(s.alpha(), classes));
                student = restored != null ? restored.student()
                        : ResNetBuilder.build(studentConfig, Heads.apprentice(loss));
                trainer = ApprenticeTrainer.jointly(teacher, student, s.alpha());
            }
            case B, C -> {
                File teacherZip = s.teacherModel() != null ? s.teacherModel()
                        : storedOrTrained(s.teacher(), s.teacherWidth(), "teacher");
                teacher = Models.loadTeacher(teacherZip, studentConfig);
                if (restored != null) {
                    student = restored.student();
                } else if (s.scheme() == Scheme.B) {
                    student = ResNetBuilder.build(studentConfig, Heads.apprentice(loss));
                } else {
                    File initZip = s.studentInit() != null ? s.studentInit()
                            : storedOrTrained(s.student(), s.studentWidth(), "full-precision student");
                    ComputationGraph init = Models.load(initZip, "student");
                    student = Models.lowerPrecision(init, initZip, studentConfig, Heads.apprentice(loss));
                }
                trainer = ApprenticeTrainer.fromTrainedTeacher(s.scheme(), teacher, student);
                if (s.cacheTeacherLogits() && data.trainSet() == null) {
                    out.println("--cache-teacher-logits ignored: image folders are augmented, inputs never repeat");
                } else if (s.cacheTeacherLogits()) {
                    long start = System.nanoTime();
                    data.replaceTrainSet(ApprenticeTrainer.withTeacherLogits(data.trainSet(), teacher, s.batch()));
                    out.printf("teacher logits computed once for %d training images in %.1f s (--cache-teacher-logits)%n",
                            data.trainExamples(), (System.nanoTime() - start) / 1e9);
                }
            }
            default -> throw new IllegalStateException("unknown scheme " + s.scheme());
        }

        Files.createDirectories(s.out());
        writeResolvedSettings(s.out().resolve("run.properties"));
        out.printf("scheme %s (%s): student %s %s%s, %s; %s: %d training images, %d test images%n",
                s.scheme() == Scheme.NONE ? "none" : s.scheme(), s.scheme().description(), s.student(),
                s.precision().body().label(), s.scheme().needsTeacher() ? ", teacher " + s.teacher() : "",
                ModelSize.megabytes(ModelSize.of(student).lowPrecisionBytes()), data.description(),
                data.trainExamples(), data.testExamples());
        if (s.uiPort() > 0) {
            TrainingUi.attach(s.uiPort(), student, out);
        }
        Path csv = s.out().resolve("metrics.csv");
        if (restored != null) {
            out.printf("resuming %s after epoch %d%n", s.out(), restored.epoch());
            keepRowsUpTo(csv, restored.epoch());
        } else {
            Files.writeString(csv, "epoch,lr,teacher_ce,student_ce,distillation,loss,student_top1,student_top5,"
                    + "teacher_top1,teacher_top5,seconds,images_per_second,teacher_forward_passes,"
                    + "student_train_top1,student_train_top5,teacher_train_top1\n");
        }
        List<EpochMetrics> epochs = new ArrayList<>();
        Accuracy studentAcc = restored != null && firstEpoch > s.epochs()
                ? Accuracy.of(student, data.test(Math.max(s.batch(), 64)), classes) : null;
        Accuracy teacherAcc = null;
        for (int epoch = firstEpoch; epoch <= s.epochs(); epoch++) {
            double lr = learningRate.valueAt(0, epoch - 1);
            EpochMetrics m;
            try (EpochProgress progress = new EpochProgress("epoch " + epoch + "/" + s.epochs(), data.trainExamples(),
                    out, EpochProgress.isTerminal())) {
                m = trainer.trainEpoch(epoch, data.train(epoch, s.batch(), s.seed()), progress);
            }
            epochs.add(m);
            studentAcc = Accuracy.of(student, data.test(Math.max(s.batch(), 64)), classes);
            teacherAcc = s.scheme() == Scheme.A ? Accuracy.of(teacher, data.test(Math.max(s.batch(), 64)), classes) : null;
            out.printf("epoch %d/%d  lr %.4g  loss %.4f  student CE %.4f%s%s  test top-1 %.2f%% top-5 %.2f%%%s  %.1f s (%.0f img/s)%n",
                    epoch, s.epochs(), lr, m.loss(), m.studentCrossEntropy(),
                    Double.isNaN(m.distillation()) ? "" : String.format("  distillation %.4f", m.distillation()),
                    Double.isNaN(m.teacherCrossEntropy()) ? "" : String.format("  teacher CE %.4f", m.teacherCrossEntropy()),
                    100 * studentAcc.top1(), 100 * studentAcc.top5(),
                    teacherAcc == null ? "" : String.format("  (teacher %.2f%%)", 100 * teacherAcc.top1()),
                    m.seconds(), m.imagesPerSecond());
            Files.writeString(csv, String.format("%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.3f,%.1f,%d,%s,%s,%s%n", epoch,
                    lr, num(m.teacherCrossEntropy()), num(m.studentCrossEntropy()), num(m.distillation()),
                    num(m.loss()), num(studentAcc.top1()), num(studentAcc.top5()),
                    teacherAcc == null ? "" : num(teacherAcc.top1()), teacherAcc == null ? "" : num(teacherAcc.top5()),
                    m.seconds(), m.imagesPerSecond(), m.teacherForwardPasses(), num(m.studentTrainTop1()),
                    num(m.studentTrainTop5()), num(m.teacherTrainTop1())), java.nio.file.StandardOpenOption.APPEND);
            Curves.plot(csv);
            Checkpoints.save(s.out(), epoch, s.identity(), student, studentConfig,
                    s.scheme() == Scheme.A ? teacher : null, teacherConfig);
            if (epoch == s.stopAfterEpoch() && epoch < s.epochs()) {
                out.printf("stopped after epoch %d as asked; continue with the same command and --resume%n", epoch);
                return new Result(studentAcc, teacherAcc, null, epochs, ModelSize.of(student));
            }
        }
        File studentZip = s.out().resolve("student.zip").toFile();
        Models.save(student, studentConfig, data.classNames(), studentZip);
        Provenance.write(studentZip, s, dataFingerprint, home);
        if (s.scheme() == Scheme.A) {
            File teacherZip = s.out().resolve("teacher.zip").toFile();
            Models.save(teacher, teacherConfig, data.classNames(), teacherZip);
            Provenance.write(teacherZip, s, dataFingerprint, home);
        }
        out.printf("student: %s -> %s%n", studentAcc, studentZip);
        if (s.scheme() == Scheme.NONE && s.precision().isFullPrecision()) {
            Path stored = new ModelStore(home).publish(studentZip, ModelStore.dataKey(s.data(), s.trainSubset()),
                    s.student(), s.studentWidth());
            out.printf("published to the model store as %s%n", stored);
        }
        if (data.skippedImages() > 0) {
            out.printf("%d bad image files were skipped (--skip-bad-images); see the warnings above%n", data.skippedImages());
        }
        return new Result(studentAcc, teacherAcc, studentZip, epochs, ModelSize.of(student));
    }

    /**
     * A trained full-precision model for schemes B and C when the user gave none: from the model store
     * (same data and subset, architecture, width), else trained first with the same data and optimiser
     * settings, saying so in one line, and published to the store.
     */
    private File storedOrTrained(String model, double width, String role) throws IOException {
        ModelStore store = new ModelStore(home);
        String key = ModelStore.dataKey(s.data(), s.trainSubset());
        File found = store.find(key, model, width);
        if (found != null) {
            out.printf("%s: %s x%s from the model store (%s)%n", role, model, width, found);
            return found;
        }
        out.printf("%s: no %s x%s for %s in the model store; training it first (scheme none, full precision, "
                + "%d epochs)%n", role, model, width, key, s.epochs());
        RunSettings first = new RunSettings(Scheme.NONE, model, width, org.apprentice.model.PrecisionSpec.fullPrecision(),
                model, width, null, null, s.data(), s.trainSubset(), s.epochs(), s.batch(), s.learningRate(),
                s.weightDecay(), s.alpha(), s.beta(), s.gamma(), s.temperature(), s.target(), false, s.seed(),
                s.out().resolve(model + "-fp32"), s.imageSize(), s.workers(), s.skipBadImages(), s.schedule(), false, 0,
                s.uiPort());
        new TrainingRun(first, home, out).run();
        return store.find(key, model, width);
    }

    /** The run's resolved settings (recipe, defaults and flags combined), one per line. */
    private void writeResolvedSettings(Path file) throws IOException {
        java.util.Properties resolved = new java.util.Properties();
        for (java.lang.reflect.RecordComponent c : RunSettings.class.getRecordComponents()) {
            try {
                resolved.setProperty(c.getName(), String.valueOf(c.getAccessor().invoke(s)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        try (var w = Files.newBufferedWriter(file)) {
            resolved.store(w, "Apprentice run settings");
        }
    }

    /** After a crash between writing an epoch's row and its checkpoint, drop the rows the checkpoint lacks. */
    private static void keepRowsUpTo(Path csv, int epoch) throws IOException {
        if (!Files.isRegularFile(csv)) {
            return;
        }
        List<String> lines = Files.readAllLines(csv);
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            String first = line.split(",", 2)[0];
            if (!first.matches("\\d+") || Integer.parseInt(first) <= epoch) {
                kept.add(line);
            }
        }
        Files.write(csv, kept);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format("%.6f", v);
    }

}
