package org.apprentice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apprentice.data.DataSource;
import org.apprentice.data.DataSpec;
import org.apprentice.data.FashionMnistFiles;
import org.apprentice.eval.Accuracy;
import org.apprentice.eval.TeacherGain;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.study.MapStatus;
import org.apprentice.study.Study;
import org.apprentice.study.StudyRunner;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.apprentice.train.SettingKeys;
import org.apprentice.train.TrainingRun;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What {@code apprentice} does with no command. First it says what the map of where the teacher helps (version 3,
 * {@code distillation-map}) has found, from the steps it keeps in the repository; where the map has a finding, it runs
 * the strongest one again ({@link MapJob}). Otherwise it shows the best low-precision student the studies have found:
 * the comparison the Fashion-MNIST study (version 2) finds strongest, beside its proper control, in small. It starts
 * from the two models the study trained and keeps in the repository (its full-precision teacher and full-precision
 * student), lowers the student to ternary weights and 4-bit activations with learned step sizes (LSQ), and fine-tunes
 * it twice on a stratified subset with the study's own steps: with the teacher (scheme C, the apprentice) and without
 * it (C's control). It prints the four test accuracies side by side and says whether the teacher beat its control by
 * more than the runs' own epoch-to-epoch swing.
 */
final class DefaultJob {
    static final String STUDY = "fashion-mnist";
    /** The map of where the teacher helps (version 3), whose status the job reports. */
    static final String MAP = "distillation-map";
    static final String SCHEME_C = "w2a4-lsq-c";
    static final String CONTROL = "w2a4-lsq-c-control";
    static final int SUBSET = 5000;
    static final int EPOCHS = 3;

    private final int subset;
    private final int epochs;
    /** A smaller job (tests): the map's comparison, too, runs {@link #epochs} epochs instead of the study's. */
    private final boolean small;
    /** The folder the job's run folder goes in; null: the project's {@code runs/}. */
    private final Path runsRoot;

    /** One line of the printed table. */
    private record Row(String label, Accuracy accuracy, long bytes, Path model) {
    }

    DefaultJob() {
        this(SUBSET, EPOCHS, null, false);
    }

    /**
     * A smaller job (tests): {@code subset} training images, {@code epochs} (at least 2) epochs per fine-tuning, and
     * the map's comparison at {@code epochs} epochs too.
     */
    DefaultJob(int subset, int epochs, Path runsRoot) {
        this(subset, epochs, runsRoot, true);
    }

    private DefaultJob(int subset, int epochs, Path runsRoot, boolean small) {
        if (epochs < 2) {
            throw new IllegalArgumentException("the main job needs at least 2 epochs to measure its runs' swing");
        }
        this.subset = subset;
        this.epochs = epochs;
        this.runsRoot = runsRoot;
        this.small = small;
    }

    int run(Path home, PrintStream out) throws IOException {
        Path data = FashionMnistFiles.locate(home);
        Path runs = (runsRoot != null ? runsRoot : home.resolve("runs")).resolve("default-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        out.println("Fashion-MNIST from " + data + "; runs in " + runs);
        MapStatus map = MapStatus.read(home, MAP);
        out.println(map.line());
        if (map.strongest() != null && MapJob.run(home, MAP, map, runs, out, small ? epochs : null)) {
            return 0;
        }
        if (map.strongest() == null) {
            out.println("So this job shows the best low-precision student the studies have found: the LSQ ternary/4-bit "
                    + "resnet8 lowered from full precision (version 2), without and with its teacher.");
        }
        bestLowPrecision(home, runs, out);
        return 0;
    }

    /**
     * The best low-precision student the studies have found, beside its control: version 2's LSQ resnet8 lowered from
     * its committed full-precision model and fine-tuned without and with the committed teacher, in {@code runs}.
     */
    void bestLowPrecision(Path home, Path runs, PrintStream out) throws IOException {
        Study study = Study.load(home, STUDY);
        Path teacher = committed(home, study.teacherStep());
        Path fp = committed(home, study.fpStudentStep());
        out.printf("%n[1/3] the study's trained full-precision models, on the test split%n");
        List<Row> rows = evaluate(home, List.of(
                new Row("resnet32 fp32 teacher (the study's)", null, 0, teacher),
                new Row("resnet8 fp32 (the study's; the starting point)", null, 0, fp)));
        out.printf("teacher %.2f%%, full-precision student %.2f%% top-1%n", 100 * rows.get(0).accuracy().top1(),
                100 * rows.get(1).accuracy().top1());
        out.printf("%n[2/3] resnet8 lowered to ternary/4-bit (LSQ), fine-tuned without a teacher (C's control)%n");
        TrainingRun.Result control = train(home, out, study.step(CONTROL).recipe(), runs.resolve("scheme-c-control"),
                b -> b.studentInit(fp));
        out.printf("%n[3/3] resnet8 lowered to ternary/4-bit (LSQ), fine-tuned with the resnet32 teacher (scheme C)%n");
        TrainingRun.Result apprentice = train(home, out, study.step(SCHEME_C).recipe(), runs.resolve("scheme-c"),
                b -> b.studentInit(fp).teacherModel(teacher));
        rows.add(row("resnet8 w2a4 LSQ, no teacher (C's control)", control));
        rows.add(row("resnet8 w2a4 LSQ, scheme C (the apprentice)", apprentice));
        table(out, home, rows);
        verdict(out, rows.get(1).accuracy(), control, apprentice);
    }

    /** A model the study keeps in the repository; one line saying how to get it back when it is missing. */
    private static Path committed(Path home, String step) {
        Path model = Study.keptFolder(home, STUDY).resolve(step).resolve("student.zip");
        if (!Files.isRegularFile(model)) {
            String shown = StudyRunner.shown(home, model.toString());
            throw new IllegalArgumentException("the main job starts from " + shown + ", which is missing: the study "
                    + "keeps it in the repository, restore it with 'git checkout -- " + shown + "'");
        }
        return model;
    }

    /** Each model's accuracy on the whole Fashion-MNIST test split, and its size at its precision. */
    private static List<Row> evaluate(Path home, List<Row> models) throws IOException {
        List<Row> rows = new ArrayList<>();
        // the training subset is not used here: the smallest stratified one (one image per class)
        try (DataSource source = DataSource.open(DataSpec.FASHION_MNIST, home, 28, 10, 42,
                RunSettings.defaults().execution().workers(), false)) {
            for (Row m : models) {
                ComputationGraph net = ModelFiles.load(m.model().toFile(), "the study's model");
                rows.add(new Row(m.label(), Accuracy.of(net, source.test(256), source.classes()),
                        ModelSize.of(net).lowPrecisionBytes(), m.model()));
            }
        }
        return rows;
    }

    /** One fine-tuning: the study's recipe at the job's size, with {@code given} (its model files), in {@code folder}. */
    private TrainingRun.Result train(Path home, PrintStream out, String recipe, Path folder,
                                     UnaryOperator<RunSettings.Builder> given) throws IOException {
        RunSettings.Builder b = SettingKeys.apply(RunSettings.builder(),
                SettingKeys.fromRecipe(Study.recipesFolder(home).resolve(recipe + ".properties")));
        RunSettings settings = given.apply(b.trainSubset(subset).epochs(epochs).out(folder)).build();
        return new TrainingRun(settings, home, out).run();
    }

    private static Row row(String label, TrainingRun.Result r) {
        return new Row(label, r.student(), r.size().lowPrecisionBytes(), r.studentZip().toPath());
    }

    private static void table(PrintStream out, Path home, List<Row> rows) {
        out.printf("%n%-46s %8s %8s %10s  %s%n", "Fashion-MNIST test split (10,000 images)", "top-1", "top-5", "size",
                "model");
        for (Row r : rows) {
            out.printf("%-46s %7.2f%% %7.2f%% %10s  %s%n", r.label(), 100 * r.accuracy().top1(),
                    100 * r.accuracy().top5(), ModelSize.megabytes(r.bytes()),
                    StudyRunner.shown(home, r.model().toAbsolutePath().toString()));
        }
    }

    /**
     * Scheme C against its control, read against the larger of the two runs' last changes of test top-1 from one
     * epoch to the next (one seed has no better measure of its noise; at the schedule's smallest learning rate it
     * is a lower bound, so a gain beyond it is still one seed's, for the study's seeds to confirm), and the better
     * student against the goal of coming within 1 point of the full-precision one.
     */
    private void verdict(PrintStream out, Accuracy fp, TrainingRun.Result control, TrainingRun.Result apprentice) {
        TeacherGain g = TeacherGain.of(control.student(), apprentice.student(), top1ByEpoch(control),
                top1ByEpoch(apprentice));
        out.printf("%nScheme C vs its control: %+.2f points of top-1; over its last epoch, either run moved by up to "
                + "%.2f points.%n", g.gainPoints(), g.swingPoints());
        out.println(g.verdict());
        double below = 100 * (fp.top1() - Math.max(apprentice.student().top1(), control.student().top1()));
        out.printf("The better ternary/4-bit student is %.2f points %s the full-precision resnet8 (goal: within 1 "
                + "below).%n", Math.abs(below), below >= 0 ? "below" : "above");
        out.println("Small on purpose (" + subset + " training images, " + epochs + " epochs each); the study "
                + "(resnets/results/fashion-mnist.md) runs them at 20,000 images, 6 epochs.");
    }

    /** A run's test top-1 after each epoch. */
    private static List<Double> top1ByEpoch(TrainingRun.Result r) {
        return new RunFolder(r.studentZip().toPath().getParent()).readEpochs().stream().filter(EpochRecord::evaluated)
                .map(EpochRecord::studentTop1)
                .toList();
    }
}
