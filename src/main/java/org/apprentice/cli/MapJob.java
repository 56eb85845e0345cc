package org.apprentice.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.model.ModelSize;
import org.apprentice.study.MapStatus;
import org.apprentice.study.Study;
import org.apprentice.study.StudyRunner;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.apprentice.train.TrainingRun;

/**
 * The main job's comparison when the map of where the teacher helps has a finding: the strongest one's control and
 * cell, each run again once with the study's own settings at one seed and the models the study keeps (teacher,
 * starting point), printed beside the map's gain over its seeds and the runs' own last change of test top-1.
 */
final class MapJob {
    private MapJob() {
    }

    /**
     * Runs the map's strongest comparison in {@code runs}; false, having said why in one line, when a model it starts
     * from is no longer kept (the study keeps models for good only in {@code keep-models}).
     *
     * @param epochs null: the study's; else that many epochs, each evaluated (a smaller job, for tests)
     */
    static boolean run(Path home, String name, MapStatus status, Path runs, PrintStream out, Integer epochs)
            throws IOException {
        MapStatus.Strongest best = status.strongest();
        Study study = Study.load(home, name);
        Path kept = Study.keptFolder(home, name);
        for (String step : List.of(best.controlStep(), best.cellStep())) {
            for (String used : study.step(step).uses()) {
                if (!Files.isRegularFile(Study.modelOf(kept, used))) {
                    out.println("That comparison starts from the model of study step " + used + ", which the study no "
                            + "longer keeps (" + StudyRunner.shown(home, Study.modelOf(kept, used).toString())
                            + "; name it in keep-models to keep it), so this job shows the best low-precision "
                            + "student instead.");
                    return false;
                }
            }
        }
        out.printf("%n[1/2] %s, as the study ran it (the teacher's control)%n", best.controlStep());
        TrainingRun.Result control = train(home, study, best.controlStep(), kept, runs, out, epochs);
        out.printf("%n[2/2] %s, as the study ran it (with the teacher)%n", best.cellStep());
        TrainingRun.Result cell = train(home, study, best.cellStep(), kept, runs, out, epochs);
        out.printf("%n%-46s %8s %8s %10s  %s%n", "test split (10,000 images)", "top-1", "top-5", "size", "model");
        row(out, home, best.controlLabel(), control);
        row(out, home, best.cellLabel(), cell);
        double gain = 100 * (cell.student().top1() - control.student().top1());
        out.printf("%nThis run: %+.2f points with the teacher; the map over its seeds: %+.2f points [%+.2f, %+.2f] "
                + "(95%% interval); between their last two evaluations, either run moved by up to %.2f points.%n", gain,
                100 * best.gain(), 100 * best.low(), 100 * best.high(), Math.max(swing(control), swing(cell)));
        return true;
    }

    private static void row(PrintStream out, Path home, String label, TrainingRun.Result r) {
        out.printf("%-46s %7.2f%% %7.2f%% %10s  %s%n", label, 100 * r.student().top1(), 100 * r.student().top5(),
                ModelSize.megabytes(r.size().lowPrecisionBytes()),
                StudyRunner.shown(home, r.studentZip().toPath().toAbsolutePath().toString()));
    }

    /** One of the study's steps with its settings and the kept models it uses, in the job's own folder. */
    private static TrainingRun.Result train(Path home, Study study, String step, Path kept, Path runs, PrintStream out,
                                            Integer epochs) throws IOException {
        RunSettings.Builder b = study.step(step).settings(Study.recipesFolder(home), study.flags(), kept).toBuilder()
                .out(runs.resolve(step)).resume(false);
        if (epochs != null) {
            b.epochs(epochs).evalEvery(1);
        }
        return new TrainingRun(b.build(), home, out).run();
    }

    /** How much test top-1 moved between a run's last two evaluations, in points. */
    private static double swing(TrainingRun.Result r) {
        double[] top1 = new RunFolder(r.studentZip().toPath().getParent()).readEpochs().stream()
                .filter(EpochRecord::evaluated).mapToDouble(EpochRecord::studentTop1).toArray();
        return top1.length < 2 ? 0 : 100 * Math.abs(top1[top1.length - 1] - top1[top1.length - 2]);
    }
}
