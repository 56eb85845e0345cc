package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apprentice.data.DataSource;
import org.apprentice.data.DataSpec;
import org.apprentice.model.ModelFiles;
import org.apprentice.runtime.Backend;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The main job, at a tiny size, on the real Fashion-MNIST and the models the study keeps in the repository:
 * the study's models score what the study recorded, both fine-tunings are the study's LSQ recipes, and the
 * verdict is read from the printed numbers.
 */
class DefaultJobTest {
    private static final Path PROJECT = Path.of(".").toAbsolutePath().normalize();
    private static final Path STUDY = PROJECT.resolve("resnets/results/fashion-mnist");

    @TempDir
    Path runs;

    @BeforeAll
    static void oneDnn() {
        Backend.configure(); // as Main does: without it, convolutions take DL4J's slow path
    }

    /**
     * The job says what the committed map has found, in one line; where it has a finding, it runs the strongest
     * comparison's two steps with the study's settings (here for 2 epochs), else the best low-precision student.
     */
    @Test
    void saysWhatTheMapHasFoundAndRunsItsStrongestComparison() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DefaultJob(500, 2, runs).run(PROJECT, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        org.apprentice.study.MapStatus map = org.apprentice.study.MapStatus.read(PROJECT, DefaultJob.MAP);
        assertTrue(out.lines().skip(1).findFirst().orElseThrow().equals(map.line()), out);
        assertTrue(map.line().startsWith("The distillation map (resnets/results/distillation-map.md, "), map.line());
        if (map.strongest() == null) {
            assertTrue(out.contains("So this job shows the best low-precision student") && out.contains("Scheme C vs its "
                    + "control"), out);
            return;
        }
        assertTrue(out.contains(String.format("the map over its seeds: %+.2f points [%+.2f, %+.2f]",
                100 * map.strongest().gain(), 100 * map.strongest().low(), 100 * map.strongest().high())), out);
        try (var folders = Files.list(runs)) {
            Path job = folders.findFirst().orElseThrow();
            org.apprentice.study.Study study = org.apprentice.study.Study.load(PROJECT, DefaultJob.MAP);
            for (String step : List.of(map.strongest().cellStep(), map.strongest().controlStep())) {
                RunSettings ran = new RunFolder(job.resolve(step)).readSettings();
                RunSettings planned = study.step(step).settings(org.apprentice.study.Study.recipesFolder(PROJECT),
                        study.flags(), org.apprentice.study.Study.keptFolder(PROJECT, DefaultJob.MAP));
                assertEquals(planned.identity().toBuilder().epochs(2).build(), ran.identity(), step);
                assertTrue(Files.isRegularFile(job.resolve(step).resolve("student.zip")), step);
            }
        }
    }

    @Test
    void startsFromTheStudysModelsAndSetsSchemeCBesideItsControl() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DefaultJob(500, 2, runs).bestLowPrecision(PROJECT, runs.resolve("default"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        // the committed models, evaluated here, score what the study recorded for them (90.53%, 88.80%, i.e. 9,053 and
        // 8,880 of 10,000 images), up to the images whose top two logits are so close that float sums in another order
        // (another CPU's kernels, another thread count) may swap them
        Matcher recorded = Pattern.compile("teacher (\\d+\\.\\d\\d)%, full-precision student (\\d+\\.\\d\\d)% top-1")
                .matcher(out);
        assertTrue(recorded.find(), out);
        assertWithinNearTies(9053, recorded.group(1), STUDY.resolve("teacher-resnet32/student.zip"));
        assertWithinNearTies(8880, recorded.group(2), STUDY.resolve("resnet8-fp32/student.zip"));
        double control = top1(out, "resnet8 w2a4 LSQ, no teacher (C's control)");
        double apprentice = top1(out, "resnet8 w2a4 LSQ, scheme C (the apprentice)");
        assertTrue(control > 50 && apprentice > 50, "lowered from an 88.8% model: " + control + ", " + apprentice);

        // the verdict follows from the printed numbers
        Matcher v = Pattern.compile("Scheme C vs its control: ([+-]\\d+\\.\\d\\d) points of top-1; over its last epoch, "
                + "either run moved by up to (\\d+\\.\\d\\d) points\\.\\n(.*)\\n").matcher(out);
        assertTrue(v.find(), out);
        double gain = Double.parseDouble(v.group(1));
        double swing = Double.parseDouble(v.group(2));
        assertEquals(apprentice - control, gain, 0.011, out);
        assertTrue(swing > 0, "the last epoch of either run changes test top-1: " + out);
        // the job decides in whole test images, which the two printed decimals give exactly
        String expected = Math.round(Math.abs(gain) * 100) <= Math.round(swing * 100) ? "Within that swing" : gain > 0 ? "Beyond that swing: the teacher helped"
                : "Beyond that swing, the other way";
        assertTrue(v.group(3).startsWith(expected), v.group(3));
        // against the full-precision student's figure as evaluated here (which the near-tie check above allows to
        // differ from the study's 88.80 on another machine), in whole test images
        double below = (Math.round(Double.parseDouble(recorded.group(2)) * 100)
                - Math.round(Math.max(control, apprentice) * 100)) / 100.0;
        assertTrue(out.contains(String.format("The better ternary/4-bit student is %.2f points %s", Math.abs(below),
                below >= 0 ? "below" : "above")), out);

        try (var folders = Files.list(runs)) {
            Path job = folders.findFirst().orElseThrow();
            RunSettings c = new RunFolder(job.resolve("scheme-c")).readSettings();
            RunSettings ctl = new RunFolder(job.resolve("scheme-c-control")).readSettings();
            assertEquals("w2a4 lsq/lsq", c.student().precision().label());
            assertEquals(c.student().precision(), ctl.student().precision());
            assertTrue(c.distillation().teacherModel().endsWith(Path.of("teacher-resnet32", "student.zip")) && !ctl.usesTeacher(),
                    c + " / " + ctl);
            assertEquals(List.of(500, 2), List.of(c.data().trainSubset(), c.optimisation().epochs()));
            assertTrue(Files.isRegularFile(job.resolve("scheme-c/student.zip")));
        }
    }

    @Test
    void aMissingStudyModelIsNamedWithHowToGetItBack(@TempDir Path home) throws IOException {
        // a project with the study's definition and recipes but without its kept models
        Path studies = Files.createDirectories(home.resolve("resnets/studies"));
        Files.copy(PROJECT.resolve("resnets/studies/fashion-mnist.properties"), studies.resolve("fashion-mnist.properties"));
        Files.copy(PROJECT.resolve("resnets/studies/distillation-map.properties"),
                studies.resolve("distillation-map.properties")); // none of its steps kept: no finding
        Path recipes = Files.createDirectories(home.resolve("resnets/recipes"));
        try (var all = Files.list(PROJECT.resolve("resnets/recipes"))) {
            for (Path r : all.toList()) {
                Files.copy(r, recipes.resolve(r.getFileName()));
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DefaultJob(500, 2, runs).run(home, new PrintStream(new ByteArrayOutputStream())));
        assertEquals("the main job starts from resnets/results/fashion-mnist/teacher-resnet32/student.zip, which is "
                + "missing: the study keeps it in the repository, restore it with 'git checkout -- "
                + "resnets/results/fashion-mnist/teacher-resnet32/student.zip'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DefaultJob(500, 1, runs), "one epoch has no swing");
    }

    /**
     * A committed model's printed top-1 is its recorded count of correct images, give or take the images whose top
     * two logits lie within 1e-4 of the largest logit: only those can change class when another machine sums in
     * another order (which moves an fp32 logit by about 1e-6 relative).
     */
    private static void assertWithinNearTies(long recordedHits, String printed, Path zip) throws IOException {
        long hits = Math.round(Double.parseDouble(printed) * 100);
        long nearTies = 0;
        ComputationGraph model = ModelFiles.load(zip.toFile(), "model");
        try (DataSource data = DataSource.open(DataSpec.FASHION_MNIST, PROJECT, 28, 0, 42, 1, false)) {
            DataSetIterator test = data.test(500);
            while (test.hasNext()) {
                INDArray logits = model.output(test.next().getFeatures())[0];
                for (int i = 0; i < logits.size(0); i++) {
                    double[] row = logits.getRow(i).toDoubleVector();
                    double[] sorted = row.clone();
                    java.util.Arrays.sort(sorted);
                    double scale = Math.max(Math.abs(sorted[0]), Math.abs(sorted[sorted.length - 1]));
                    nearTies += sorted[sorted.length - 1] - sorted[sorted.length - 2] <= 1e-4 * scale ? 1 : 0;
                }
            }
        }
        assertTrue(Math.abs(hits - recordedHits) <= nearTies, zip + ": " + hits + " correct, recorded " + recordedHits
                + ", near ties " + nearTies);
    }

    private static double top1(String out, String label) {
        Matcher m = Pattern.compile(Pattern.quote(label) + "\\s+(\\d+\\.\\d\\d)%").matcher(out);
        assertTrue(m.find(), label + " in\n" + out);
        return Double.parseDouble(m.group(1));
    }
}
