package org.apprentice.compress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.bench.DeployBenchmark;
import org.apprentice.data.DataSource;
import org.apprentice.eval.Accuracy;
import org.apprentice.export.Deployment;
import org.apprentice.kd.Scheme;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.apprentice.train.SettingKeys;
import org.apprentice.train.TrainingRun;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * {@code bin/apprentice compress}: from a teacher's and a student's published weights to a deployable low-precision
 * student of the user's data, in steps, each a training run in a folder of its own under the output folder:
 * <ol>
 *   <li>{@code teacher}: the teacher file fine-tuned on the data (skipped when it was trained on the data's classes);</li>
 *   <li>{@code student-fp32}: the student file fine-tuned at full precision;</li>
 *   <li>{@code scheme-c} and {@code scheme-c-control}: that student lowered and fine-tuned with the teacher and
 *       without it;</li>
 *   <li>{@code export}: the better of the two on the evaluation split, as zip, packed file and integer ONNX;</li>
 *   <li>{@code report.md} and {@code curves.png}: the models side by side, and the teacher's gain read against the
 *       runs' noise.</li>
 * </ol>
 * A step whose folder holds its student and the run's settings is done and never redone; an interrupted one resumes
 * from its checkpoint; a folder trained with other settings is refused in one line. So a stopped {@code compress}
 * continues with the same command.
 */
public final class Compression {
    /** The files and names a compression starts from (a null name: the architecture the file records). */
    public record Inputs(Path teacherInit, String teacher, Path studentInit, String student,
                         List<SettingKeys.Change> changes, Path out) {
    }

    /** One model of the report: its label, its step (folder name; null for a file used as it is) and its zip. */
    record Model(String label, String step, Path zip) {
    }

    /** One row of the report, measured. */
    record Row(Model model, Accuracy accuracy, long bytes, long onnxBytes, double[] imagesPerSecond) {
    }

    private final Path home;
    private final Inputs in;
    private final PrintStream log;

    public Compression(Path home, Inputs inputs, PrintStream log) {
        this.home = home;
        this.in = inputs;
        this.log = log;
    }

    /** The input size of every step (scheme C's, which the teacher and the student both accept); 0 until known. */
    private int imageSize;

    /** The run's settings as the flags give them, for one step to change (at the steps' one input size). */
    private RunSettings.Builder flags() {
        RunSettings.Builder b = SettingKeys.apply(RunSettings.builder(), in.changes());
        return imageSize > 0 ? b.imageSize(imageSize) : b;
    }

    /** Runs what is left, then exports and reports; returns the report's path. */
    public Path run() throws IOException {
        ModelFiles.Architecture teacher = architecture(in.teacherInit(), in.teacher(), "--teacher-init", "--teacher");
        ModelFiles.Architecture student = architecture(in.studentInit(), in.student(), "--student-init", "--student");
        RunSettings probe = flags().scheme(Scheme.C).student(student.name()).teacher(teacher.name()).build();
        int pretrain = probe.epochsOfPretraining();
        imageSize = probe.data().imageSize(); // every step at the size both networks accept
        Model teacherModel = fineTuned("teacher", teacher, in.teacherInit(), pretrain, true);
        Model fp = fineTuned("student-fp32", student, in.studentInit(), pretrain, false);
        RunSettings c = step("scheme-c", flags().scheme(Scheme.C).student(student.name()).studentWidth(student.width())
                .teacher(teacher.name()).teacherWidth(teacher.width()).teacherModel(teacherModel.zip())
                .studentInit(fp.zip()));
        RunSettings control = step("scheme-c-control", flags().scheme(Scheme.C_CONTROL).student(student.name())
                .studentWidth(student.width()).studentInit(fp.zip()));
        String low = c.precisionLabel();
        Model apprentice = train("scheme-c", student.name() + " " + low + ", scheme C (with the teacher)", c);
        Model alone = train("scheme-c-control", student.name() + " " + low + ", no teacher (C's control)", control);
        return new CompressionReport(home, in.out(), log).write(c, List.of(teacherModel, fp, alone, apprentice),
                new DeployBenchmark(new int[] {1, 32}, 3, 9, in.out()));
    }

    /**
     * The architecture a step trains: {@code name} when given (its width the file's, else 1), else the one the file
     * records; one line when neither says.
     */
    private static ModelFiles.Architecture architecture(Path file, String name, String fileFlag, String nameFlag) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(fileFlag + " " + file + " does not exist");
        }
        ModelFiles.Architecture recorded = ModelFiles.recordedArchitecture(file.toFile());
        if (name != null) {
            return new ModelFiles.Architecture(name, recorded != null && recorded.name().equalsIgnoreCase(name)
                    ? recorded.width() : 1.0);
        }
        if (recorded == null) {
            throw new IllegalArgumentException(fileFlag + " " + file + " records no architecture: give " + nameFlag
                    + " NAME");
        }
        return recorded;
    }

    /**
     * A full-precision model fine-tuned on the data from {@code file}; the teacher's step is skipped (the file used as
     * it is) when the file was trained on the data's classes.
     */
    private Model fineTuned(String name, ModelFiles.Architecture a, Path file, int epochs, boolean skipWhenFits)
            throws IOException {
        RunSettings s = step(name, flags().scheme(Scheme.NONE).student(a.name()).studentWidth(a.width())
                .precision(PrecisionSpec.fullPrecision()).studentInit(file).epochs(epochs));
        String label = a + " fp32, " + (name.equals("teacher") ? "the teacher" : "the student") + " fine-tuned";
        if (skipWhenFits && trainedOnTheDataClasses(file, s)) {
            log.printf("[%s] skipped: %s was trained on the data's classes; it is the teacher as it is%n", name, file);
            return new Model(a + " fp32, the teacher as given", null, file);
        }
        return train(name, label, s);
    }

    private boolean trainedOnTheDataClasses(Path file, RunSettings s) {
        ComputationGraph model = ModelFiles.load(file.toFile(), "--teacher-init");
        try (DataSource data = DataSource.open(s.data().source(), home, s.data().imageSize(), 0, s.optimisation().seed(),
                s.execution().workers(), s.execution().skipBadImages(), s.data().classes())) {
            return ModelFiles.hasClasses(model, file.toFile(), data.classNames());
        }
    }

    /** A step's settings in its folder, resuming where its checkpoint is. */
    private RunSettings step(String name, RunSettings.Builder b) {
        Path folder = in.out().resolve(name);
        return b.out(folder).resume(Files.isRegularFile(folder.resolve("latest"))).build();
    }

    /**
     * A step's model: the one its folder holds when it was trained with these settings, else trained now (resumed
     * from its checkpoint where there is one); a folder trained with other settings is refused in one line.
     */
    private Model train(String name, String label, RunSettings s) throws IOException {
        Path folder = s.execution().out();
        Path zip = folder.resolve("student.zip");
        if (Files.isRegularFile(zip)) {
            RunSettings done = new RunFolder(folder).readSettings();
            if (done == null || !done.identity().equals(s.identity())) {
                throw new IllegalArgumentException("compress: step " + name + " in " + folder + " was trained with other "
                        + "settings; continue with the command that started it, or give another --out");
            }
            log.printf("[%s] done: %s%n", name, zip);
            return new Model(label, name, zip);
        }
        log.printf("%n[%s] %s%n", name, label);
        new TrainingRun(s, home, log).run();
        return new Model(label, name, zip);
    }

    /** The models' test top-1 by evaluated epoch, as their run folders recorded it (an empty list for a file used as it is). */
    static List<Double> top1ByEpoch(Model m) {
        if (m.step() == null) {
            return List.of();
        }
        List<Double> top1 = new ArrayList<>();
        for (EpochRecord r : new RunFolder(m.zip().getParent()).readEpochs()) {
            if (r.evaluated()) {
                top1.add(r.studentTop1());
            }
        }
        return top1;
    }

    /** {@code data} normalised as {@code zip} was trained, where it records a normalization. */
    static void normalisedFor(DataSource data, Path zip) {
        Normalization n = ModelFiles.recordedNormalization(zip.toFile());
        if (n != null) {
            data.renormalize(n, "model " + zip);
        }
    }

    /** The deployable forms of the better student, written into {@code folder}. */
    static Deployment export(Path zip, Path folder) throws IOException {
        return Deployment.write(zip.toFile(), folder);
    }

}
