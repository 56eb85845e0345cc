package org.apprentice.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduling of a study run with {@code --parallel}, on stand-in processes (shell commands that sleep, succeed or
 * fail) instead of training: the order steps start in, how many run at once, and what a failure stops.
 */
class ParallelStepsTest {
    @TempDir
    Path home;

    private StudyRunner runner;
    private Path folder;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    /** What each stand-in step does (a shell command); a step not named sleeps 0.2 s and succeeds. */
    private final Map<String, String> scripts = new HashMap<>();
    /** The steps in the order they started, with the steps that had finished by then. */
    private final List<String> started = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Set<String>> doneAtStart = new HashMap<>();
    private final Map<String, List<String>> argsOf = new HashMap<>();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void study() throws IOException {
        Files.createDirectories(Study.recipesFolder(home));
        Files.createDirectories(Study.studiesFolder(home));
        String common = "data = synthetic\nstudent = resnet8\nteacher = resnet8\n";
        Files.writeString(Study.recipesFolder(home).resolve("none.properties"), common + "scheme = none\n");
        Files.writeString(Study.recipesFolder(home).resolve("b.properties"), common + "scheme = B\n");
        Files.writeString(Study.recipesFolder(home).resolve("c.properties"), common + "scheme = C\nbits = 2\n");
        Files.writeString(Study.studiesFolder(home).resolve("p.properties"), String.join("\n", "title = P",
                "teacher = t", "fp-student = fp", "steps = t, fp, a, b, c", "step.t = none", "step.fp = none",
                "step.a = none", "step.b = b --teacher-model @t", "step.c = c --teacher-model @t --student-init @fp"));
        folder = home.resolve("runs/p");
        runner = new StudyRunner(home, Study.load(home, "p"), false, folder, home.resolve("p.md"), "reproduce p", null);
    }

    /** Stand-in processes: each records what had finished when it started, and how many ran at once. */
    private StepProcesses standIns() {
        return (args, log, threads) -> {
            String step = Path.of(args.get(args.indexOf("--out") + 1)).getFileName().toString();
            started.add(step);
            argsOf.put(step, args);
            doneAtStart.put(step, runner.jobs().keySet().stream().filter(runner::isDone)
                    .collect(Collectors.toSet()));
            Process p = new ProcessBuilder("bash", "-c", scripts.getOrDefault(step, "sleep 0.2"))
                    .redirectErrorStream(true).redirectOutput(Redirect.appendTo(log.toFile())).start();
            processes.add(p);
            mostAtOnce.accumulateAndGet((int) processes.stream().filter(Process::isAlive).count(), Math::max);
            return p;
        };
    }

    private void run(ParallelSteps.Report report) throws IOException {
        List<StudyRunner.Pending> todo = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, StudyRunner.Job> job : runner.jobs().entrySet()) {
            todo.add(new StudyRunner.Pending(++i, runner.jobs().size(), job.getKey(), job.getValue(),
                    "bin/apprentice " + job.getKey()));
        }
        new ParallelSteps(runner, standIns(), 2, 1, out).run(todo, report);
    }

    @Test
    void aStepStartsOnceTheStepsItUsesHaveFinishedAndNoMoreThanNRunAtOnce() throws IOException {
        scripts.put("t", "sleep 0.6");
        AtomicInteger reports = new AtomicInteger();
        run(reports::incrementAndGet);
        assertEquals(List.of("t", "fp", "a"), started.subList(0, 3), "in the study's order, as room frees up");
        assertTrue(doneAtStart.get("b").contains("t"), "b uses t's model: " + doneAtStart);
        assertTrue(doneAtStart.get("c").containsAll(Set.of("t", "fp")), "c uses t's and fp's: " + doneAtStart);
        assertTrue(mostAtOnce.get() <= 2, "at most 2 at once: " + mostAtOnce.get());
        for (String step : List.of("t", "fp", "a", "b", "c")) {
            assertTrue(runner.isDone(step), step);
            assertTrue(Files.readString(folder.resolve(step).resolve(ParallelSteps.LOG))
                    .startsWith("# bin/apprentice " + step + "\n"), "the log names the step's command");
        }
        assertEquals(5, reports.get(), "the report is written after every step");
        // a step with a frozen teacher keeps its logits for the others (not in its command: they change no number)
        String store = folder.resolve(StudyRunner.LOGITS).toString();
        assertEquals(List.of("--teacher-logits-store", store), argsOf.get("b").subList(argsOf.get("b").size() - 2,
                argsOf.get("b").size()));
        assertFalse(argsOf.get("a").contains("--teacher-logits-store"), "a has no teacher");
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("up to 2 steps at once, 1 thread each"));
    }

    /** The study {@code name} with {@code lines}, on the recipes of {@link #study()}, as the runner. */
    private void useStudy(String name, String... lines) throws IOException {
        Files.writeString(Study.studiesFolder(home).resolve(name + ".properties"), String.join("\n", lines));
        folder = home.resolve("runs/" + name);
        runner = new StudyRunner(home, Study.load(home, name), false, folder, home.resolve(name + ".md"),
                "reproduce " + name, null);
    }

    @Test
    void aStepWaitsForARunningOneThatShowsItsTeacherTheSameMinibatchesWhileAnotherStepCanRun() throws IOException {
        useStudy("q", "title = Q", "teacher = t", "fp-student = t", "steps = t, b1, b2, b3, a", "step.t = none",
                "step.b1 = b --teacher-model @t", "step.b2 = b --teacher-model @t --temperature 4",
                "step.b3 = b --teacher-model @t --seed 7", "step.a = none --student-init @t");
        scripts.put("b3", "sleep 2");
        run(() -> { });
        // b2's teacher sees b1's minibatches (same seed): it waits for b1, and b3 (another seed) runs beside b1
        assertEquals(List.of("t", "b1", "b3", "b2", "a"), started);
        assertTrue(doneAtStart.get("b2").contains("b1"), "b2 reads b1's logits: " + doneAtStart);
        assertTrue(mostAtOnce.get() == 2, "two at once all the same: " + mostAtOnce.get());
    }

    @Test
    void stepsThatShowTheirTeacherTheSameMinibatchesRunTogetherWhenNothingElseCan() throws IOException {
        useStudy("r", "title = R", "teacher = t", "fp-student = t", "steps = t, b1, b2", "step.t = none",
                "step.b1 = b --teacher-model @t --seed 3", "step.b2 = b --teacher-model @t --seed 3 --temperature 4");
        scripts.put("b1", "sleep 1");
        run(() -> { });
        assertEquals(List.of("t", "b1", "b2"), started);
        assertFalse(doneAtStart.get("b2").contains("b1"), "no core is left idle: " + doneAtStart);
    }

    @Test
    void aFailedStepStartsNothingMoreWhileTheStepsRunningFinish() {
        scripts.put("t", "echo 'epoch 1/3'; echo 'apprentice: --out runs/p/t is in use by another run'; exit 2");
        scripts.put("fp", "sleep 1.5");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(() -> { }));
        assertEquals("study step t failed (exit 2): --out runs/p/t is in use by another run (its output: runs/p/t/train.log)",
                e.getMessage());
        assertEquals(List.of("t", "fp"), started, "nothing starts after the failure");
        assertTrue(runner.isDone("fp"), "fp, running when t failed, finished");
        assertFalse(runner.isDone("t"));
        assertTrue(printed.toString(StandardCharsets.UTF_8).matches("(?s).*\\[1/5\\] t: failed after \\d+ s; no further step starts\n.*"),
                printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aReportThatFailsLetsTheRunningStepsFinishThenStopsTheStudy() {
        scripts.put("fp", "sleep 1.5");
        IOException e = assertThrows(IOException.class, () -> run(() -> {
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals(List.of("t", "fp"), started);
        assertTrue(runner.isDone("t") && runner.isDone("fp"), "both trained and were marked done");
    }

    @Test
    void aStepRefusedBeforeItStartsStopsTheStudyInOneLineAndTheRunningStepsFinish() throws IOException {
        Files.writeString(Study.recipesFolder(home).resolve("b.properties"), "data = synthetic\nscheme = B\nepochs = 0\n");
        scripts.put("a", "sleep 1.5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(() -> { }));
        assertTrue(e.getMessage().contains("study step b") && e.getMessage().contains("epochs"), e.getMessage());
        assertFalse(started.contains("b"));
        assertTrue(runner.isDone("a"), "a, running when b was refused, finished");
    }
}
