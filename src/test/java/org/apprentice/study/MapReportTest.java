package org.apprentice.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.kd.EpochMetrics;
import org.apprentice.kd.Scheme;
import org.apprentice.model.ModelSize;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.WeightMethod;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A map study's cells, paired gains, corrections for their number, findings and plot, on hand-made step results. */
class MapReportTest {
    @TempDir
    Path home;

    private static final PrecisionSpec LSQ = PrecisionSpec.of(2, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ);

    private Study study(String steps, String report) throws IOException {
        Files.createDirectories(Study.recipesFolder(home));
        Files.createDirectories(Study.studiesFolder(home));
        Files.writeString(Study.recipesFolder(home).resolve("r.properties"), "scheme = none\n");
        List<String> lines = new ArrayList<>(List.of("title = Map", "report = " + report, "teacher = t",
                "fp-student = fp", "steps = t, fp, " + steps, "step.t = r", "step.fp = r"));
        for (String s : steps.split(",\\s*")) {
            lines.add("step." + s + " = r");
        }
        Files.writeString(Study.studiesFolder(home).resolve("m.properties"), String.join("\n", lines));
        return Study.load(home, "m");
    }

    /** A finished run: resnet8 at {@code precision} on {@code images} images, its two seeds, one evaluated epoch. */
    private static StepResult run(String step, Scheme scheme, PrecisionSpec precision, double t, int images,
                                  long subsetSeed, long seed, double top1) {
        return run(step, scheme, precision, t, images, subsetSeed, seed, top1, images == 1000 ? "t" : "t" + images);
    }

    /** The same, taught by the model of study step {@code teacherStep}. */
    private static StepResult run(String step, Scheme scheme, PrecisionSpec precision, double t, int images,
                                  long subsetSeed, long seed, double top1, String teacherStep) {
        boolean teacher = scheme == Scheme.B || scheme == Scheme.C;
        RunSettings s = RunSettings.builder().scheme(scheme).student("resnet8").precision(precision)
                .teacher(teacher ? "resnet32" : null)
                .teacherModel(teacher ? Path.of("runs", teacherStep, "student.zip") : null)
                .temperature(t).trainSubset(images).subsetSeed(subsetSeed).seed(seed)
                .epochs(2).out(Path.of("runs", step)).build();
        List<EpochRecord> epochs = List.of(epoch(1, Double.NaN), epoch(2, top1)); // the first one not evaluated
        return new StepResult(step, s, epochs, new ModelSize(1000, 100));
    }

    private static EpochRecord epoch(int e, double top1) {
        return new EpochRecord(new EpochMetrics(e, Double.NaN, 1.0, Double.NaN, 1.0, 1000, 10.0, 0, Double.NaN,
                Double.NaN, Double.NaN), 0.1, top1, 0.99, Double.NaN, Double.NaN);
    }

    /** A resnet32 teacher trained on {@code images} images. */
    private static StepResult teacher(String step, int images, double top1) {
        RunSettings s = RunSettings.builder().student("resnet32").precision(PrecisionSpec.fullPrecision())
                .trainSubset(images).subsetSeed(42L).epochs(2).out(Path.of("runs", step)).build();
        return new StepResult(step, s, List.of(epoch(1, 0.85), epoch(2, top1)), new ModelSize(1000, 1000));
    }

    private Map<String, StepResult> results() {
        Map<String, StepResult> r = new HashMap<>();
        r.put("t", teacher("t", 1000, 0.86));
        r.put("t5000", teacher("t5000", 5000, 0.88));
        r.put("fp", run("fp", Scheme.NONE, PrecisionSpec.fullPrecision(), 1, 1000, 42, 42, 0.78));
        double[] none = {0.80, 0.81, 0.82};
        double[] b4 = {0.82, 0.831, 0.839}; // +2.0, +2.1, +1.9 points
        double[] b1 = {0.80, 0.815, 0.815}; // 0, +0.5, -0.5 points
        for (int i = 0; i < 3; i++) {
            long seed = 42 + i;
            r.put("none" + i, run("none" + i, Scheme.NONE, LSQ, 1, 1000, 42, seed, none[i]));
            r.put("b4-" + i, run("b4-" + i, Scheme.B, LSQ, 4, 1000, 42, seed, b4[i]));
            r.put("b1-" + i, run("b1-" + i, Scheme.B, LSQ, 1, 1000, 42, seed, b1[i]));
        }
        r.put("big-none", run("big-none", Scheme.NONE, LSQ, 1, 5000, 42, 42, 0.85));
        r.put("big-b4", run("big-b4", Scheme.B, LSQ, 4, 5000, 42, 42, 0.852));
        r.put("sub-none", run("sub-none", Scheme.NONE, LSQ, 1, 1000, 43, 42, 0.79));
        r.put("sub-b4", run("sub-b4", Scheme.B, LSQ, 4, 1000, 43, 42, 0.80));
        return r;
    }

    private static final String STEPS = "t5000, none0, b4-0, b1-0, none1, b4-1, b1-1, none2, b4-2, b1-2, big-none, big-b4, "
            + "sub-none, sub-b4";

    @Test
    void gainsArePairedBySeedWithStudentsIntervalAndCorrectedForTheirNumber() throws IOException {
        MapReport report = new MapReport(study(STEPS, "map"), results());
        String md = report.render(List.of("header line"), Map.of("fp", "bin/apprentice train ..."));

        has(md, "| 1,000 | 2 | 16 (128) | 2,000 | 12 |"); // two epochs of 8 steps, the last one of 104 images
        has(md, "| resnet32 | 1,000 | 42 | 2 | 86.00% |\n| resnet32 | 5,000 | 42 | 2 | 88.00% |");
        has(md, "| training images | student | no teacher | B, T = 1 | B, T = 4 |");
        has(md, "| 1,000 | w2a4 lsq/lsq | 81.00 ± 1.00 (3) | 81.00 ± 0.87 (3) | 83.00 ± 0.95 (3) |");
        has(md, "| 5,000 | w2a4 lsq/lsq | 85.00% (1) |  | 85.20% (1) |");
        // B T=4: differences 2.0, 2.1, 1.9 points: mean 2.0, se 0.1/sqrt 3; t(2) quantile sqrt(1.805/0.0975) = 4.3027:
        // [1.75, 2.25]; t = 34.64, p = 1 - t / sqrt(2 + t^2) = 0.00083; over the 2 tested, Benjamini-Hochberg and Holm
        // both double the smaller p
        has(md, "| 1,000 | w2a4 lsq/lsq | B, T = 4 | no teacher | 3 | +2.00 | [+1.75, +2.25] | 0.001 | 0.002 | 0.002 | **yes** |");
        // B T=1: differences 0, +0.5, -0.5: mean 0, p = 1
        has(md, "| 1,000 | w2a4 lsq/lsq | B, T = 1 | no teacher | 3 | +0.00 | [-1.24, +1.24] | 1.000 | 1.000 | 1.000 | no |");
        has(md, "| 5,000 | w2a4 lsq/lsq | B, T = 4 | no teacher | 1 | +0.20 |  |  |  |  | no |");
        has(md, "T = 4 against T = 1");
        // across subsets, seed 42: subset 42 gives +2.0, subset 43 +1.0: two pairs, mean 1.5, se 0.5, t(1) = 3, p 0.205
        has(md, "| 1,000 | w2a4 lsq/lsq | B, T = 4 | no teacher | 2 | +1.50 | [-4.85, +7.85] | 0.205 | 0.205 | 0.205 | no |");
        has(md, "The teacher's gain is largest and clearest for w2a4 lsq/lsq at 1,000 images, B, T = 4 against no "
                + "teacher: +2.00 points [+1.75, +2.25], 3 pairs, q 0.002 (Holm's p 0.002)");
        has(md, "fp: bin/apprentice train ...");

        DistillationMap.Gain best = report.map().strongest();
        assertEquals(1000, best.cell().images());
        assertEquals(4.0, best.cell().temperature());
    }

    /** A teacher trained on more images than its student is another teacher, compared against the main one. */
    @Test
    void aTeacherTrainedOnMoreImagesIsComparedWithTheMainOne() throws IOException {
        Map<String, StepResult> r = results();
        r.put("t60000", teacher("t60000", 60000, 0.91));
        double[] top1 = {0.81, 0.83, 0.82};
        for (int i = 0; i < 3; i++) {
            r.put("b4-t60-" + i, run("b4-t60-" + i, Scheme.B, LSQ, 4, 1000, 42, 42 + i, top1[i], "t60000"));
        }
        String md = new MapReport(study(STEPS + ", t60000, b4-t60-0, b4-t60-1, b4-t60-2", "map"), r)
                .render(List.of(), Map.of());
        has(md, "| training images | student | no teacher | B, T = 1 | B, T = 4 | B, T = 4, resnet32 on 60,000 images |");
        // against B, T = 4 with the main teacher: -1.0, -0.1, -1.9 points: mean -1.0, sd 0.9, se 0.9 / sqrt 3,
        // half-width 4.3027 se = 2.24; t = -1.925, p = 1 - 1.925 / sqrt(2 + 1.925^2) = 0.194
        has(md, "| 1,000 | w2a4 lsq/lsq | B, T = 4, resnet32 on 60,000 images | B, T = 4 | 3 | -1.00 | [-3.24, +1.24] "
                + "| 0.194 | 0.194 | 0.194 | no |");
        // against no teacher: +1.0, +2.0, 0 points, t = 1.732, p = 1 - t / sqrt 5 = 0.225; three tested in the table
        // (p 0.00083, 0.225, 1): q = 3/2 x 0.225 = 0.338, Holm's p = 2 x 0.225 = 0.451
        has(md, "| 1,000 | w2a4 lsq/lsq | B, T = 4, resnet32 on 60,000 images | no teacher | 3 | +1.00 | [-1.48, +3.48] "
                + "| 0.225 | 0.338 | 0.451 | no |");
    }

    @Test
    void withoutAFindingTheMapSaysSoInOneLine() throws IOException {
        Map<String, StepResult> r = results();
        r.remove("b4-2"); // two pairs are not enough for a finding
        MapReport report = new MapReport(study(STEPS, "map"), r);
        assertNull(report.map().strongest());
        has(report.render(List.of(), Map.of()), "The teacher's gain is not told apart from seed noise anywhere the map "
                + "has run so far");
    }

    @Test
    void thePlotHasOnePanelPerStudent() throws IOException {
        Map<String, StepResult> r = results();
        r.put("fp-b4", run("fp-b4", Scheme.B, PrecisionSpec.fullPrecision(), 4, 1000, 42, 42, 0.79));
        PrecisionSpec w2a2 = PrecisionSpec.of(2, 2).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ);
        r.put("w2a2-none", run("w2a2-none", Scheme.NONE, w2a2, 1, 1000, 42, 42, 0.75));
        r.put("w2a2-b4", run("w2a2-b4", Scheme.B, w2a2, 4, 1000, 42, 42, 0.76));
        MapReport report = new MapReport(study(STEPS + ", fp-b4, w2a2-none, w2a2-b4", "map"), r);
        Path md = home.resolve("m.md");
        report.writeBeside(md);
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(MapReport.plotOf(md).toFile());
        assertEquals(560, png.getWidth());
        assertEquals(3 * 380, png.getHeight(), "three students (an odd number), one under another");
    }

    /** The main job's line, from the steps the study keeps in the repository (settings, metrics and size, no model). */
    @Test
    void theMapsStatusIsReadFromItsKeptSteps() throws IOException {
        study(STEPS, "map");
        for (StepResult r : results().values()) {
            org.apprentice.train.RunFolder kept = new org.apprentice.train.RunFolder(
                    Study.keptFolder(home, "m").resolve(r.step()));
            Files.createDirectories(kept.dir());
            kept.writeSettings(r.settings());
            kept.startMetrics();
            for (EpochRecord e : r.epochs()) {
                kept.appendEpoch(e);
            }
            kept.writeSize(r.size());
        }
        MapStatus status = MapStatus.read(home, "m");
        assertEquals(List.of(16, 16, 2), List.of(status.stepsDone(), status.stepsPlanned(), status.tested()));
        assertEquals(List.of("b4-0", "none0"), List.of(status.strongest().cellStep(), status.strongest().controlStep()),
                "the first seed's runs of the cell and its control");
        assertEquals(List.of("resnet8 w2a4 lsq/lsq, B, T = 4", "resnet8 w2a4 lsq/lsq, no teacher"),
                List.of(status.strongest().cellLabel(), status.strongest().controlLabel()));
        assertEquals(0.02, status.strongest().gain(), 1e-12);
        assertEquals("The distillation map (resnets/results/m.md, 16 of 16 steps run) finds the teacher's gain largest "
                + "and clearest for w2a4 lsq/lsq at 1,000 images, B, T = 4 against no teacher: +2.00 points [+1.75, "
                + "+2.25], 3 pairs, q 0.002 (Holm's p 0.002).", status.line());
        Files.delete(Study.keptFolder(home, "m").resolve("b4-2").resolve(org.apprentice.train.RunFolder.METRICS));
        assertEquals("The distillation map (resnets/results/m.md, 15 of 16 steps run) finds no place yet where the "
                + "teacher's gain is clear of seed noise (2 comparisons tested, none a finding after the correction for their number).",
                MapStatus.read(home, "m").line());
    }

    @Test
    void aStudyWithoutASmokeVersionRefusesQuick() throws IOException {
        study(STEPS, "map");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Study.load(home, "m", true));
        assertTrue(e.getMessage().startsWith("--quick: study m has no smoke version (no quick.flags in "), e.getMessage());
    }

    @Test
    void keptModelsMustBeStepsAndOnlyAMapHasAStatus() throws IOException {
        study(STEPS, "map");
        Path file = Study.studiesFolder(home).resolve("m.properties");
        Files.writeString(file, Files.readString(file) + "\nkeep-models = t, nope\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Study.load(home, "m"));
        assertTrue(e.getMessage().contains("m.properties: keep-models names 'nope', which is not one of its steps"),
                e.getMessage());
        study(STEPS, "paper");
        e = assertThrows(IllegalArgumentException.class, () -> MapStatus.read(home, "m"));
        assertEquals("study m is not a map (report = map)", e.getMessage());
    }

    @Test
    void anUnknownKindOfReportIsRefusedNamingTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> study(STEPS, "atlas"));
        assertTrue(e.getMessage().contains("m.properties") && e.getMessage().contains("report = atlas"), e.getMessage());
    }

    private static void has(String md, String expected) {
        assertTrue(md.contains(expected), "expected\n" + expected + "\nin\n" + md);
    }
}
