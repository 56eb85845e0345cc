package org.apprentice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.data.DataSource;
import org.apprentice.data.DataSpec;
import org.apprentice.data.FashionMnistFiles;
import org.apprentice.eval.Accuracy;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.apprentice.train.TrainingRun;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What {@code apprentice} does with no command: the comparison the Fashion-MNIST study (version 2) finds
 * strongest, beside its proper control, in small. It starts from the two models the study trained and
 * keeps in the repository (a full-precision resnet32 teacher and a full-precision resnet8), lowers the
 * resnet8 to ternary weights and 4-bit activations with learned step sizes (LSQ), and fine-tunes it twice
 * on a stratified subset with the study's own recipes: with the teacher (scheme C, the apprentice) and
 * without it (C's control). It prints the four test accuracies side by side and says whether the teacher
 * beat its control by more than the runs' own epoch-to-epoch swing.
 */
final class DefaultJob {
    static final Path TEACHER = Path.of("resnets", "results", "fashion-mnist", "teacher-resnet32", "student.zip");
    static final Path FP_STUDENT = Path.of("resnets", "results", "fashion-mnist", "resnet8-fp32", "student.zip");
    static final String SCHEME_C = "fashion-mnist-v2-resnet8-w2a4-lsq-c";
    static final String CONTROL = "fashion-mnist-v2-resnet8-w2a4-lsq-c-control";
    static final int SUBSET = 5000;
    static final int EPOCHS = 3;

    private final int subset;
    private final int epochs;
    /** The folder the job's run folder goes in; null: the project's {@code runs/}. */
    private final Path runsRoot;

    DefaultJob() {
        this(SUBSET, EPOCHS, null);
    }

    /** A smaller job (tests): {@code subset} training images, {@code epochs} epochs per fine-tuning. */
    DefaultJob(int subset, int epochs, Path runsRoot) {
        this.subset = subset;
        this.epochs = epochs;
        this.runsRoot = runsRoot;
    }

    int run(Path home, PrintStream out) throws IOException {
        Path data = FashionMnistFiles.locate(home);
        Path teacher = committed(home, TEACHER, "teacher-resnet32");
        Path fp = committed(home, FP_STUDENT, "resnet8-fp32");
        Path runs = (runsRoot != null ? runsRoot : home.resolve("runs")).resolve("default-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        out.println("Fashion-MNIST from " + data + "; runs in " + runs);
        out.printf("%n[1/3] the study's trained full-precision models, on the test split%n");
        List<Accuracy> trained = evaluate(home, teacher, fp);
        Accuracy teacherAcc = trained.get(0);
        Accuracy fpAcc = trained.get(1);
        out.printf("resnet32 teacher %.2f%%, resnet8 %.2f%% top-1%n", 100 * teacherAcc.top1(), 100 * fpAcc.top1());
        out.printf("%n[2/3] resnet8 lowered to ternary/4-bit (LSQ), fine-tuned without a teacher (C's control)%n");
        TrainingRun.Result control = train(home, out, CONTROL, runs.resolve("scheme-c-control"), "--student-init", fp);
        out.printf("%n[3/3] resnet8 lowered to ternary/4-bit (LSQ), fine-tuned with the resnet32 teacher (scheme C)%n");
        TrainingRun.Result apprentice = train(home, out, SCHEME_C, runs.resolve("scheme-c"), "--student-init", fp,
                "--teacher-model", teacher);
        table(out, home, teacher, teacherAcc, fp, fpAcc, control, apprentice);
        verdict(out, fpAcc, control, apprentice);
        return 0;
    }

    /** A model the study keeps in the repository; one line saying how to make it again when it is missing. */
    private static Path committed(Path home, Path relative, String step) {
        Path model = home.resolve(relative);
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("the main job starts from " + model + ", which is missing; make it with "
                    + "'bin/apprentice reproduce fashion-mnist --steps " + step + "' or restore it with git");
        }
        return model;
    }

    /** Each model's accuracy on the whole Fashion-MNIST test split. */
    private static List<Accuracy> evaluate(Path home, Path... models) throws IOException {
        List<Accuracy> accuracies = new ArrayList<>();
        // the training subset is not used here: the smallest stratified one (one image per class)
        try (DataSource source = DataSource.open(DataSpec.FASHION_MNIST, home, 28, 10, 42,
                RunSettings.defaults().workers(), false)) {
            for (Path model : models) {
                ComputationGraph net = ModelFiles.load(model.toFile(), "the study's model");
                accuracies.add(Accuracy.of(net, source.test(256), source.classes()));
            }
        }
        return accuracies;
    }

    /** One fine-tuning: the study's recipe at the job's size, as {@code apprentice train} would run it. */
    private TrainingRun.Result train(Path home, PrintStream out, String recipe, Path folder, Object... flags)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--recipe",
                home.resolve("resnets").resolve("recipes").resolve(recipe + ".properties").toString(),
                "--train-subset", String.valueOf(subset), "--epochs", String.valueOf(epochs)));
        for (Object f : flags) {
            args.add(f.toString());
        }
        args.addAll(List.of("--out", folder.toString()));
        return new TrainingRun(ReproduceCommand.train(args, home, recipe).settings(home), home, out).run();
    }

    private static void table(PrintStream out, Path home, Path teacher, Accuracy teacherAcc, Path fp, Accuracy fpAcc,
                              TrainingRun.Result control, TrainingRun.Result apprentice) {
        out.printf("%n%-46s %8s %8s %10s  %s%n", "Fashion-MNIST test split (10,000 images)", "top-1", "top-5", "size",
                "model");
        row(out, home, "resnet32 fp32 teacher (the study's)", teacherAcc, ModelFiles.load(teacher.toFile(), "teacher"),
                teacher);
        row(out, home, "resnet8 fp32 (the study's; the starting point)", fpAcc, ModelFiles.load(fp.toFile(), "student"),
                fp);
        row(out, home, "resnet8 w2a4 LSQ, no teacher (C's control)", control);
        row(out, home, "resnet8 w2a4 LSQ, scheme C (the apprentice)", apprentice);
    }

    private static void row(PrintStream out, Path home, String label, Accuracy a, ComputationGraph net, Path model) {
        out.printf("%-46s %7.2f%% %7.2f%% %10s  %s%n", label, 100 * a.top1(), 100 * a.top5(),
                ModelSize.megabytes(ModelSize.of(net).lowPrecisionBytes()), shown(home, model));
    }

    private static void row(PrintStream out, Path home, String label, TrainingRun.Result r) {
        out.printf("%-46s %7.2f%% %7.2f%% %10s  %s%n", label, 100 * r.student().top1(), 100 * r.student().top5(),
                ModelSize.megabytes(r.size().lowPrecisionBytes()), shown(home, r.studentZip().toPath()));
    }

    private static String shown(Path home, Path p) {
        return org.apprentice.study.StudyRunner.shown(home, p.toAbsolutePath().toString());
    }

    /**
     * Scheme C against its control, read against the larger of the two runs' last epoch-to-epoch changes of
     * test top-1 (a single seed has no better measure of its noise here), and the apprentice against the goal
     * of coming within 1 point of the full-precision student.
     */
    private void verdict(PrintStream out, Accuracy fp, TrainingRun.Result control, TrainingRun.Result apprentice) {
        double gain = 100 * (apprentice.student().top1() - control.student().top1());
        double swing = Math.max(lastSwing(control), lastSwing(apprentice));
        out.printf("%nScheme C vs its control: %+.2f points of top-1; the larger change of either run over its last epoch "
                + "was %.2f points.%n", gain, swing);
        if (Math.abs(gain) <= swing) {
            out.println("At this size that is within the runs' own swing: the teacher made no difference the job can "
                    + "tell from noise.");
        } else {
            out.println(gain > 0 ? "The teacher beat its control by more than the runs' own swing (one seed)."
                    : "The control beat the teacher by more than the runs' own swing (one seed): distillation did not help "
                            + "here.");
        }
        double best = 100 * Math.max(apprentice.student().top1(), control.student().top1());
        out.printf("The better ternary/4-bit student is %.2f points below the full-precision resnet8 (goal: within 1).%n",
                100 * fp.top1() - best);
        out.println("Small on purpose (" + subset + " training images, " + epochs + " epochs each); the study "
                + "(resnets/results/fashion-mnist.md) runs them at 20,000 images, 6 epochs, several seeds.");
    }

    /** The change of test top-1 between a run's last two epochs, in points (0 with one epoch). */
    private static double lastSwing(TrainingRun.Result r) {
        List<EpochRecord> e = new RunFolder(r.studentZip().toPath().getParent()).readEpochs();
        return e.size() < 2 ? 0 : 100 * Math.abs(e.get(e.size() - 1).studentTop1() - e.get(e.size() - 2).studentTop1());
    }
}
