package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.study.MapStatus;
import org.apprentice.study.Study;
import org.apprentice.testing.CommandLine;
import org.apprentice.train.EpochRecord;
import org.apprentice.train.RunFolder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job's comparison from a map study with a finding: a tiny map on synthetic data, run for real by
 * {@code reproduce}, its kept scheme-B runs then given a clear gain over their controls, and the strongest comparison
 * run again from the models the study keeps.
 */
class MapJobTest {
    @TempDir
    Path home;

    @org.junit.jupiter.api.extension.RegisterExtension
    final CommandLine cli = new CommandLine(() -> home);

    @BeforeEach
    void tinyMap() throws IOException {
        Path recipes = Files.createDirectories(home.resolve("resnets/recipes"));
        String common = "data = synthetic\nbatch = 32\nstudent = resnet8\nwidth = 0.25\nteacher = resnet8\n"
                + "teacher-width = 0.5\naugment = none\n";
        Files.writeString(recipes.resolve("t.properties"), common.replace("width = 0.25", "width = 0.5")
                + "scheme = none\n");
        Files.writeString(recipes.resolve("none.properties"), common + "scheme = none\n");
        Files.writeString(recipes.resolve("b.properties"), common + "scheme = b\nbits = 32\nact-bits = 32\ntemperature = 4\n");
        Files.writeString(Files.createDirectories(home.resolve("resnets/studies")).resolve("tiny-map.properties"),
                String.join("\n", "title = Tiny map", "report = map", "flags = --train-subset 64 --subset-seed 7 --epochs 2 --eval-every 2",
                        "teacher = t", "fp-student = n1", "keep-models = t", "steps = t, n1, b1, n2, b2, n3, b3",
                        "step.t = t", "step.n1 = none --seed 1", "step.n2 = none --seed 2", "step.n3 = none --seed 3",
                        "step.b1 = b --teacher-model @t --seed 1", "step.b2 = b --teacher-model @t --seed 2",
                        "step.b3 = b --teacher-model @t --seed 3"));
    }

    /** Sets the kept step's final test top-1 (its last epoch's record rewritten). */
    private void finalTop1(String step, double top1) throws IOException {
        RunFolder kept = new RunFolder(Study.keptFolder(home, "tiny-map").resolve(step));
        List<EpochRecord> epochs = new ArrayList<>(kept.readEpochs());
        EpochRecord last = epochs.remove(epochs.size() - 1);
        epochs.add(new EpochRecord(last.training(), last.lr(), top1, last.studentTop5(), last.teacherTop1(),
                last.teacherTop5()));
        kept.startMetrics();
        for (EpochRecord e : epochs) {
            kept.appendEpoch(e);
        }
    }

    @Test
    void theStrongestFindingRunsAgainFromTheKeptModels() throws IOException {
        assertEquals(0, cli.run("reproduce", "tiny-map"), cli.err());
        String md = Files.readString(home.resolve("resnets/results/tiny-map.md"));
        assertTrue(md.contains("## What the map supports"), md);
        assertTrue(md.contains("Test accuracy is on the whole test split after the last epoch of each step, and every "
                + "--eval-every epochs before it;"), md);
        assertTrue(Files.isRegularFile(home.resolve("resnets/results/tiny-map.png")), md);
        double[] none = {0.50, 0.60, 0.70};
        double[] gain = {0.20, 0.21, 0.19};
        for (int i = 0; i < 3; i++) {
            finalTop1("n" + (i + 1), none[i]);
            finalTop1("b" + (i + 1), none[i] + gain[i]);
        }
        MapStatus status = MapStatus.read(home, "tiny-map");
        assertEquals(List.of("b1", "n1"), List.of(status.strongest().cellStep(), status.strongest().controlStep()));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path runs = home.resolve("job");
        assertTrue(MapJob.run(home, "tiny-map", status, runs, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                null));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(Files.isRegularFile(runs.resolve("n1/student.zip")) && Files.isRegularFile(runs.resolve("b1/student.zip")),
                out);
        assertTrue(out.contains("the map over its seeds: +20.00 points [+17.52, +22.48]"), out);
        assertTrue(out.contains("\nresnet8 x0.25 fp32, no teacher ") && out.contains("\nresnet8 x0.25 fp32, B, T = 4 "), out);
        // the runs are the study's own: the same settings (but the folder), with the teacher the study keeps
        assertEquals(new RunFolder(home.resolve("runs/reproduce/tiny-map/b1")).readSettings().identity().toBuilder()
                        .teacherModel(null).build(),
                new RunFolder(runs.resolve("b1")).readSettings().identity().toBuilder().teacherModel(null).build());
        assertEquals(Study.modelOf(Study.keptFolder(home, "tiny-map"), "t"),
                new RunFolder(runs.resolve("b1")).readSettings().distillation().teacherModel());

        // a teacher the study no longer keeps: one line, and the job falls back
        Files.delete(Study.modelOf(Study.keptFolder(home, "tiny-map"), "t"));
        bytes.reset();
        assertFalse(MapJob.run(home, "tiny-map", status, home.resolve("job2"), new PrintStream(bytes, true,
                StandardCharsets.UTF_8), null));
        String line = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, line.strip().lines().count(), line);
        assertTrue(line.contains("study step t, which the study no longer keeps (resnets/results/tiny-map/t/student.zip"),
                line);
        assertFalse(Files.exists(home.resolve("job2")), "nothing trained");
    }
}
