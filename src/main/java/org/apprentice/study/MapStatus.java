package org.apprentice.study;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a map study stands, read from the steps it keeps in the repository ({@code resnets/results/NAME/}), for the
 * main job: how many steps have run, how many comparisons of the teacher's gain are tested, and the largest clear gain
 * in words (null when the map has no such finding).
 */
public record MapStatus(String study, int stepsDone, int stepsPlanned, int tested, Strongest strongest) {

    /**
     * The teacher's largest clear gain: in words, the study steps of its cell and its control at one seed (to run again)
     * with their labels ("resnet8 fp32, B, T = 4", "resnet8 fp32, no teacher"), and its mean gain with its 95% interval
     * over the seeds, in [0, 1].
     */
    public record Strongest(String words, String cellStep, String cellLabel, String controlStep, String controlLabel,
                            double gain, double low, double high) {
    }

    /** The map study {@code name} of {@code home}, as its kept steps show it. */
    public static MapStatus read(Path home, String name) {
        Study study = Study.load(home, name);
        if (study.report() != StudyResults.Kind.MAP) {
            throw new IllegalArgumentException("study " + name + " is not a map (report = map)");
        }
        Map<String, StepResult> kept = StepResult.readAll(study, Study.keptFolder(home, name));
        DistillationMap map = DistillationMap.of(study, kept);
        int done = (int) kept.values().stream().filter(r -> r != null && r.complete()).count();
        int tested = (int) map.gains().get(DistillationMap.Family.TEACHER).stream().filter(g -> !g.gain().untested())
                .count();
        DistillationMap.Gain best = map.strongest();
        if (best == null) {
            return new MapStatus(name, done, study.steps().size(), tested, null);
        }
        String[] steps = map.steps(best);
        return new MapStatus(name, done, study.steps().size(), tested, new Strongest(MapFindings.describe(best, map),
                steps[0], label(best.cell(), map), steps[1], label(best.control(), map), best.gain().mean(),
                best.gain().low(), best.gain().high()));
    }

    private static String label(DistillationMap.Place p, DistillationMap map) {
        return p.student().model() + " " + p.studentLabel() + ", " + p.armLabel(map.mainTeacher());
    }

    /** One line: the largest clear gain, or that there is none yet (and how far the map has run). */
    public String line() {
        String where = String.format(java.util.Locale.ROOT, "The distillation map (resnets/results/%s.md, %d of %d steps "
                + "run)", study, stepsDone, stepsPlanned);
        return strongest != null ? where + " finds the teacher's gain largest and clearest for " + strongest.words() + "."
                : where + " finds no place yet where the teacher's gain is clear of seed noise (" + tested
                        + " comparisons tested, none a finding after the correction for their number).";
    }
}
