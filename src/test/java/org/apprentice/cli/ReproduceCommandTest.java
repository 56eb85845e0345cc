package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.testing.CommandLine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apprentice reproduce} end to end on a tiny synthetic study: every step runs, the results file
 * holds every scheme, a finished study is skipped, an interrupted step resumes, and the same command
 * gives the same numbers.
 */
class ReproduceCommandTest {
    @TempDir
    Path home;

    @org.junit.jupiter.api.extension.RegisterExtension
    final CommandLine cli = new CommandLine(() -> home);

    @BeforeEach
    void studyInATemporaryHome() throws IOException {
        Path recipes = Files.createDirectories(home.resolve("resnets/recipes"));
        String common = "data = synthetic\nbatch = 32\nstudent = resnet8\nteacher = resnet8\nteacher-width = 0.5\n"
                + "cache-teacher-logits = true\naugment = none\n";
        Files.writeString(recipes.resolve("t.properties"), common + "scheme = none\nwidth = 0.5\n");
        Files.writeString(recipes.resolve("fp.properties"), common + "scheme = none\nwidth = 0.25\n");
        for (String scheme : List.of("none", "A", "B", "C")) {
            Files.writeString(recipes.resolve("w2a4-" + scheme + ".properties"), common + "scheme = " + scheme
                    + "\nwidth = 0.25\nbits = 2\nact-bits = 4\n" + (scheme.equals("C") ? "lr = 0.01\n" : ""));
        }
        Path studies = Files.createDirectories(home.resolve("resnets/studies"));
        Files.writeString(studies.resolve("tiny.properties"), String.join("\n",
                "title = Tiny study", "flags = --train-subset 64 --epochs 2", "quick.flags = --train-subset 32 --epochs 1",
                "teacher = t", "fp-student = fp", "keep-models = t", "steps = t, fp, none, a, b, c",
                "step.t = t --epochs 3", "quick.step.t = t", "step.fp = fp", "step.none = w2a4-none", "step.a = w2a4-A",
                "repeat = b", "step.b = w2a4-B --teacher-model @t", "step.c = w2a4-C --teacher-model @t --student-init @fp"));
    }

    private int reproduce(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "reproduce";
        System.arraycopy(args, 0, all, 1, args.length);
        return cli.run(all);
    }

    private static boolean zipHas(Path zip, String entry) throws IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
            return z.getEntry(entry) != null;
        }
    }

    private String stdout() {
        return cli.out();
    }

    /** The results file from its first table to the commands, i.e. without the time it was written. */
    private static String tables(Path results) throws IOException {
        String md = Files.readString(results);
        return md.substring(md.indexOf("## Test top-1"), md.indexOf("## Exact commands"))
                .replaceAll("\\| \\d+ s \\|", "| (time) |");
    }

    @Test
    void runsEveryStepSkipsWhatIsDoneResumesWhatWasCutAndRepeatsItsNumbers() throws IOException {
        assertEquals(0, reproduce("tiny"), cli.err());
        Path results = home.resolve("resnets/results/tiny.md");
        Path runs = home.resolve("runs/reproduce/tiny");
        String md = Files.readString(results);
        assertTrue(md.contains("- Steps complete: 6 of 6\n"), md);
        assertFalse(md.contains("not run"), md);
        assertTrue(md.matches("(?s).*\\| resnet8 x0.25 \\| w2a4 \\| \\d+\\.\\d\\d% \\(\\d+\\.\\d\\d\\) \\| \\d+\\.\\d\\d% .*"), md);
        assertTrue(md.contains("| resnet8 x0.5 (teacher) | fp32 |"), md);
        assertTrue(md.contains("bin/apprentice train --recipe resnets/recipes/w2a4-C.properties --train-subset 64 "
                + "--epochs 2 --teacher-model runs/reproduce/tiny/t/student.zip --student-init "
                + "runs/reproduce/tiny/fp/student.zip --out runs/reproduce/tiny/c"), md);
        assertTrue(md.contains("Produced by `bin/apprentice reproduce tiny`"), md);
        assertTrue(md.contains("Test accuracy is on the whole test split after every epoch;"), md);
        // a step's own flags replace the study's
        assertTrue(md.contains("bin/apprentice train --recipe resnets/recipes/t.properties --train-subset 64 --epochs 3 "
                + "--out runs/reproduce/tiny/t\n"), md);
        assertTrue(md.contains("| t | resnet8 x0.5 | fp32 | none |  | 3 of 3 |"), md);
        for (String step : List.of("t", "fp", "none", "a", "b", "c")) {
            assertTrue(Files.isRegularFile(runs.resolve(step).resolve(org.apprentice.study.StudyRunner.DONE)), step);
        }
        assertTrue(stdout().contains("[6/7] c: bin/apprentice train"), stdout());
        assertTrue(stdout().matches("(?s).*\\[6/7\\] c: finished in \\d+ s\n.*"), stdout());
        assertTrue(stdout().contains("## The paper's claims"), stdout());
        // the determinism check: step b again, from scratch, in a folder of its own
        assertTrue(stdout().contains("[7/7] b-repeat: bin/apprentice train --recipe resnets/recipes/w2a4-B.properties "
                + "--train-subset 64 --epochs 2 --teacher-model runs/reproduce/tiny/t/student.zip --out "
                + "runs/reproduce/tiny/b-repeat"), stdout());
        assertTrue(md.contains("Check: step b was run a second time from scratch (b-repeat, same command, new folder): "
                + "its test top-1 after every epoch was identical to the last digit"), md);
        String first = tables(results);

        // a finished study: nothing is trained again
        assertEquals(0, reproduce("tiny"), cli.err());
        assertTrue(stdout().contains("[1/7] t: done, skipped") && stdout().contains("[7/7] b-repeat: done, skipped"), stdout());
        assertFalse(stdout().contains("epoch 1/2"), stdout());

        // cut after its last epoch's checkpoint, before the model was written (so before it was kept): resumes,
        // same numbers
        try (var walk = Files.walk(home.resolve("resnets/results/tiny/c"))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Files.delete(runs.resolve("c").resolve(org.apprentice.study.StudyRunner.DONE));
        Files.delete(runs.resolve("c").resolve("student.zip"));
        assertEquals(0, reproduce("tiny"), cli.err());
        assertTrue(stdout().contains("[6/7] c: resuming from its last checkpoint"), stdout());
        assertTrue(Files.isRegularFile(runs.resolve("c").resolve("student.zip")));
        assertEquals(first, tables(results));

        // the same study from scratch in another folder: the same numbers
        assertEquals(0, reproduce("tiny", "--out", home.resolve("again").toString(), "--results",
                home.resolve("again.md").toString()), cli.err());
        assertEquals(first, tables(home.resolve("again.md")));

        // --report-only rewrites the results file from the folders without training anything
        Files.delete(results);
        assertEquals(0, reproduce("tiny", "--report-only"), cli.err());
        assertFalse(stdout().contains("epoch 1/"), stdout());
        assertEquals(first, tables(results));

        // a fresh machine: only what the study kept for later sessions (resnets/results/tiny/, committed) is
        // there; every step is restored, nothing is trained again, the same numbers
        Path kept = home.resolve("resnets/results/tiny");
        assertTrue(Files.isRegularFile(kept.resolve("t/student.zip")), "keep-models: kept for good");
        assertFalse(Files.exists(kept.resolve("fp/student.zip")), "a model used by later steps is kept only until the "
                + "last of them has finished");
        assertFalse(Files.exists(kept.resolve("none/student.zip")), "the others are never kept");
        assertTrue(Files.isRegularFile(kept.resolve("none/metrics.csv")) && Files.isRegularFile(kept.resolve("none/size.json")));
        try (var walk = Files.walk(runs)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        // --report-only on a fresh machine reads the kept steps: the same tables, nothing trained
        Files.delete(results);
        assertEquals(0, reproduce("tiny", "--report-only"), cli.err());
        assertFalse(stdout().contains("epoch 1/"), stdout());
        assertEquals(first, tables(results));
        try (var walk = Files.walk(runs)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertEquals(0, reproduce("tiny"), cli.err());
        assertTrue(stdout().contains("[1/7] t: restored from resnets/results/tiny/t"), stdout());
        assertTrue(stdout().contains("[7/7] b-repeat: done, skipped"), stdout());
        assertFalse(stdout().contains("epoch 1/"), stdout());
        assertEquals(first, tables(results));

        // a step cut short here but finished elsewhere (kept): the finished copy wins, the unfinished folder is set aside
        try (var walk = Files.walk(runs.resolve("none"))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Files.createDirectories(runs.resolve("none"));
        Files.writeString(runs.resolve("none/metrics.csv"), "epoch\n");
        assertEquals(0, reproduce("tiny"), cli.err());
        assertTrue(stdout().contains("[3/7] none: restored from resnets/results/tiny/none (finished there; the "
                + "unfinished run folder here was moved aside to runs/reproduce/tiny/none.unfinished)"), stdout());
        assertFalse(stdout().contains("epoch 1/"), stdout());
        assertEquals("epoch\n", Files.readString(runs.resolve("none.unfinished/metrics.csv")));
        assertEquals(first, tables(results));
        // again: the first folder set aside is kept, the second gets a name of its own; --report-only moves nothing
        try (var walk = Files.walk(runs.resolve("none"))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Files.createDirectories(runs.resolve("none"));
        Files.writeString(runs.resolve("none/metrics.csv"), "epoch,again\n");
        assertEquals(0, reproduce("tiny", "--report-only"), cli.err());
        assertEquals("epoch,again\n", Files.readString(runs.resolve("none/metrics.csv")), "--report-only moved nothing");
        assertEquals(0, reproduce("tiny"), cli.err());
        assertEquals("epoch\n", Files.readString(runs.resolve("none.unfinished/metrics.csv")));
        assertEquals("epoch,again\n", Files.readString(runs.resolve("none.unfinished-2/metrics.csv")));
        assertTrue(stdout().contains("moved aside to runs/reproduce/tiny/none.unfinished-2)"), stdout());
        assertEquals(first, tables(results));

        // a step folder left by another command is not silently reused
        Files.writeString(runs.resolve("b").resolve(org.apprentice.study.StudyRunner.DONE), "bin/apprentice train --something-else\n");
        assertEquals(Main.USAGE_ERROR, reproduce("tiny"));
        assertTrue(cli.err().contains("was run by another command") && cli.err().contains("runs/reproduce/tiny/b"),
                cli.err());

        // kept models have no updater state (smaller); a step finished before steps were kept is kept when skipped
        assertTrue(zipHas(home.resolve("again/t/student.zip"), "updaterState.bin"), "a trained model has its updater");
        assertFalse(zipHas(kept.resolve("t/student.zip"), "updaterState.bin"), "its kept copy does not");
        try (var walk = Files.walk(kept.resolve("none"))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        Files.writeString(runs.resolve("b").resolve(org.apprentice.study.StudyRunner.DONE),
                Files.readString(kept.resolve("b").resolve(org.apprentice.study.StudyRunner.DONE)));
        assertEquals(0, reproduce("tiny"), cli.err());
        assertTrue(Files.isRegularFile(kept.resolve("none").resolve(org.apprentice.study.StudyRunner.DONE)));

        // a kept step finished by another command is refused, naming it, not restored
        Files.writeString(kept.resolve("fp").resolve(org.apprentice.study.StudyRunner.DONE), "bin/apprentice train --other\n");
        try (var walk = Files.walk(runs.resolve("fp"))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertEquals(Main.USAGE_ERROR, reproduce("tiny"));
        assertTrue(cli.err().contains("was kept from another command") && cli.err().contains("resnets/results/tiny/fp"),
                cli.err());
    }

    @Test
    void stepsRunsOnlyTheNamedStepsOnceWhatTheyUseHasRun() throws IOException {
        Path runs = home.resolve("runs/reproduce/tiny");
        // b needs the teacher t, which has not run: refused in one line, nothing trained
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--steps", "b"));
        assertTrue(cli.err().contains("--steps: study step b uses @t, which has not run yet"), cli.err());
        assertEquals(1, cli.err().strip().lines().count(), cli.err());
        assertFalse(Files.exists(runs.resolve("b/student.zip")));
        // refused before anything trains, even when an earlier selected step needs nothing
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--steps", "none,b"));
        assertTrue(cli.err().contains("--steps: study step b uses @t, which has not run yet"), cli.err());
        assertFalse(Files.exists(runs.resolve("none")), "none was not trained before the refusal");
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--steps", "t", "--report-only"));
        assertTrue(cli.err().contains("--steps runs steps, --report-only runs none"), cli.err());
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--steps", "t,nope"));
        assertTrue(cli.err().contains("--steps: study tiny has no step 'nope'; its steps: t, fp, none, a, b, c, b-repeat"),
                cli.err());

        assertEquals(0, reproduce("tiny", "--steps", "t, fp, b"), cli.err());
        assertTrue(Files.isRegularFile(runs.resolve("t/student.zip")) && Files.isRegularFile(runs.resolve("b/student.zip")));
        Path keptFp = home.resolve("resnets/results/tiny/fp/student.zip");
        assertTrue(Files.isRegularFile(keptFp), "kept while c, which starts from it, has not run");
        for (String other : List.of("none", "a", "c", "b-repeat")) {
            assertFalse(Files.exists(runs.resolve(other)), other + " was not asked for");
        }
        String md = Files.readString(home.resolve("resnets/results/tiny.md"));
        assertTrue(md.contains("- Steps complete: 3 of 6 ("), md);
        // the rest of the study, later: what --steps ran is done and skipped
        assertEquals(0, reproduce("tiny"), cli.err());
        assertFalse(Files.exists(keptFp), "dropped once c has finished");
        assertTrue(stdout().contains("fp: every step that uses its model has finished; its model is no longer kept in "
                + "resnets/results/tiny/fp"), stdout());
        assertTrue(stdout().contains("[1/7] t: done, skipped") && stdout().contains("[5/7] b: done, skipped"), stdout());
        assertTrue(Files.readString(home.resolve("resnets/results/tiny.md")).contains("- Steps complete: 6 of 6\n"));
    }

    @Test
    void parallelTrainsStepsInProcessesOfTheirOwnInOrderOfWhatTheyUseAndStopsOnAFailure() throws IOException {
        Path runs = home.resolve("runs/reproduce/tiny");
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--parallel", "0"));
        assertTrue(cli.err().contains("--parallel must be at least 1 (got 0)"), cli.err());
        assertEquals(Main.USAGE_ERROR, reproduce("tiny", "--parallel", "2", "--report-only"));
        assertTrue(cli.err().contains("--parallel runs steps, --report-only runs none"), cli.err());

        // another run holds the teacher's folder: t's process refuses it; fp, started beside it, finishes; no step starts
        // after the failure, and none that uses t ever does
        try (var held = new org.apprentice.train.RunFolder(runs.resolve("t")).claim(false)) {
            assertEquals(1, reproduce("tiny", "--parallel", "2"));
        }
        assertEquals(1, cli.err().strip().lines().count(), cli.err());
        assertTrue(cli.err().contains("study step t failed (exit 2): --out " + runs.resolve("t") + " is in use by another "
                + "run; wait for it or give a new --out (its output: runs/reproduce/tiny/t/train.log)"), cli.err());
        String first = stdout();
        int threads = TrainProcesses.threadsEach(2);
        assertTrue(first.contains("up to 2 steps at once, " + threads + " thread" + (threads == 1 ? "" : "s") + " each"), first);
        assertTrue(first.contains("[1/7] t: failed after"), first);
        assertFalse(first.substring(first.indexOf("t: failed after")).contains("started"), first);
        assertTrue(Files.isRegularFile(runs.resolve("fp").resolve(org.apprentice.study.StudyRunner.DONE)));
        assertTrue(Files.readString(runs.resolve("fp/train.log")).contains("epoch 1/2"));
        assertEquals(threads, new org.apprentice.train.RunFolder(runs.resolve("fp")).readProvenance("student.zip")
                .environment().threads(), "the step's process computed with its share of the threads, and recorded it");
        for (String step : List.of("b", "c", "b-repeat")) {
            assertFalse(Files.exists(runs.resolve(step)), step + " uses t, which failed");
        }

        // the same command again: what finished is skipped; a, b, c and the repeat run, b and c once t (and fp) are done
        assertEquals(0, reproduce("tiny", "--parallel", "2"), cli.err());
        String second = stdout();
        assertTrue(second.contains("[2/7] fp: done, skipped"), second);
        for (String step : List.of("t", "b", "c", "b-repeat")) {
            assertTrue(second.contains(step + ": finished in"), second);
        }
        for (String usesT : List.of("[5/7] b: started", "[6/7] c: started", "[7/7] b-repeat: started")) {
            assertTrue(second.indexOf("[1/7] t: finished in") < second.indexOf(usesT), second);
        }
        String md = Files.readString(home.resolve("resnets/results/tiny.md"));
        assertTrue(md.contains("- Steps complete: 6 of 6\n"), md);
        assertTrue(md.contains("- Threads per step: " + threads + " (6 steps); a step's numbers depend on its threads"), md);
        // b and its repeat ran alike (processes of their own, the same threads): the same numbers
        assertTrue(md.contains("Check: step b was run a second time from scratch (b-repeat, same command, new folder): "
                + "its test top-1 after every epoch was identical to the last digit"), md);
        assertTrue(Files.readString(runs.resolve("c/train.log")).startsWith("# bin/apprentice train --recipe "
                + "resnets/recipes/w2a4-C.properties"), "the log names its command");
    }

    @Test
    void quickUsesItsOwnFlagsFolderAndResultsFile() throws IOException {
        assertEquals(0, reproduce("tiny", "--quick"), cli.err());
        String md = Files.readString(home.resolve("resnets/results/tiny-quick.md"));
        assertTrue(md.contains("--train-subset 32 --epochs 1 ") && md.contains("| 1 of 1 |"), md);
        assertTrue(md.contains("resnets/recipes/t.properties --train-subset 32 --epochs 1 --out"), md);
        assertTrue(Files.isDirectory(home.resolve("runs/reproduce/tiny-quick/c")));
    }

    @Test
    void aStepNamingNoSettingIsRefusedBeforeAnythingRuns() throws IOException {
        Path file = home.resolve("resnets/studies/typo.properties");
        Files.writeString(file, String.join("\n", "flags = --train-subset 64 --epochs 1", "teacher = t",
                "fp-student = t", "steps = t, x", "step.t = t", "step.x = fp --no-such-flag"));
        assertEquals(Main.USAGE_ERROR, reproduce("typo"));
        assertTrue(cli.err().contains("study " + file + ": step x: 'no-such-flag' is not a setting"), cli.err());
        assertFalse(Files.exists(home.resolve("runs/reproduce/typo")));
    }

    @Test
    void aBadValueInAStepNamesTheStepAndKeepsWhatEarlierStepsWrote() throws IOException {
        Files.writeString(home.resolve("resnets/studies/bad.properties"), String.join("\n",
                "flags = --train-subset 64 --epochs 1", "teacher = t", "fp-student = t", "steps = t, x",
                "step.t = t", "step.x = fp --batch 100 --replicas 3"));
        assertEquals(Main.USAGE_ERROR, reproduce("bad"));
        assertTrue(cli.err().contains("study step x: --batch 100 does not split into --replicas 3"),
                cli.err());
        assertEquals(1, cli.err().strip().lines().count(), cli.err());
        assertTrue(Files.isRegularFile(home.resolve("runs/reproduce/bad/t/student.zip")));
        assertTrue(Files.readString(home.resolve("resnets/results/bad.md")).contains("- Steps complete: 1 of 2"));
    }

    @Test
    void aStudyNamingAMissingRecipeIsRefusedBeforeAnythingRuns() throws IOException {
        Files.writeString(home.resolve("resnets/studies/gone.properties"), String.join("\n",
                "teacher = t", "fp-student = t", "steps = t", "step.t = no-such-recipe"));
        assertEquals(Main.USAGE_ERROR, reproduce("gone"));
        assertTrue(cli.err().contains("step t names recipe") && cli.err().contains("no-such-recipe.properties"),
                cli.err());
        assertFalse(Files.exists(home.resolve("runs/reproduce/gone")));
    }

    @Test
    void anUnknownStudyNamesTheKnownOnes() {
        assertEquals(Main.USAGE_ERROR, reproduce("nope"));
        assertTrue(cli.err().contains("no study 'nope'") && cli.err().contains("studies: ") && cli.err().contains("tiny"), cli.err());
        assertEquals(Main.USAGE_ERROR, reproduce());
        assertTrue(cli.err().contains("reproduce needs one study name; studies: "), cli.err());
    }
}
