package org.apprentice.study;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A study's steps, up to N at a time, each a {@code train} process with its share of the cores: small networks use
 * several cores poorly, so several steps on one thread each get more done per second than one step on all of them
 * (the README gives the figures). A step starts, in the study's order, once every step whose
 * model it uses ({@code @STEP}) has finished, and after the steps before it whose frozen teacher is shown the same
 * minibatches, where another step can run meanwhile (so that it reads their logits instead of running the teacher
 * again); its output goes to {@code train.log} in its run folder. A step that
 * fails stops new ones from starting; the study ends with one line naming it once the others have finished.
 * Stopping the study (Ctrl-C) stops its steps too; each continues from its last checkpoint next time.
 */
final class ParallelSteps {
    /** The file in a step's run folder that its process writes to. */
    static final String LOG = "train.log";

    private final StudyRunner runner;
    private final StepProcesses processes;
    private final int parallel;
    private final int threads;
    private final PrintStream out;
    /** Each step's teacher stream, worked out once (from its recipe). */
    private final Map<String, Optional<StudyRunner.TeacherStream>> streams = new HashMap<>();

    private record Running(StudyRunner.Pending step, Process process, long startedNanos) {
    }

    /** What the study reports after each finished step. */
    @FunctionalInterface
    interface Report {
        void write() throws IOException;
    }

    ParallelSteps(StudyRunner runner, StepProcesses processes, int parallel, int threads, PrintStream out) {
        if (parallel < 1 || threads < 1) {
            throw new IllegalArgumentException("--parallel " + parallel + " with " + threads
                    + " threads per step: both must be at least 1");
        }
        this.runner = runner;
        this.processes = processes;
        this.parallel = parallel;
        this.threads = threads;
        this.out = out;
    }

    void run(List<StudyRunner.Pending> todo, Report report) throws IOException {
        out.printf("up to %d steps at once, %d thread%s each%n", parallel, threads, threads == 1 ? "" : "s");
        List<StudyRunner.Pending> waiting = new ArrayList<>();
        for (StudyRunner.Pending p : todo) {
            if (runner.prepare(p, out)) {
                waiting.add(p);
            }
        }
        List<Running> running = new CopyOnWriteArrayList<>(); // read by the shutdown hook too
        Thread stopSteps = new Thread(() -> running.forEach(r -> r.process().destroy()));
        Runtime.getRuntime().addShutdownHook(stopSteps);
        Exception failure = null; // the first; after it no step starts, and the running ones finish
        try {
            while (!running.isEmpty() || (failure == null && !waiting.isEmpty())) {
                failure = startReady(waiting, running, failure);
                if (running.isEmpty()) {
                    break;
                }
                for (Running ended : awaitEnded(running)) { // all that ended, before any other step starts
                    running.remove(ended);
                    Exception e = ended(ended, report);
                    failure = failure == null ? e : failure;
                }
            }
        } finally {
            stop(running); // only when this process is stopped or fails itself: the steps continue from checkpoints
            Runtime.getRuntime().removeShutdownHook(stopSteps);
        }
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure != null) {
            throw (RuntimeException) failure;
        }
        if (!waiting.isEmpty()) { // a step it uses is neither here nor running (e.g. kept, beside an unfinished folder)
            throw new IllegalStateException("study step " + waiting.get(0).name() + " uses a step that has not finished: "
                    + runner.usedBy(waiting.get(0).name()));
        }
    }

    /**
     * Starts waiting steps, in order, while there is room and nothing has failed; a step that cannot start (a bad
     * value in it, a process that cannot be started) is the failure returned, and nothing more starts.
     */
    private Exception startReady(List<StudyRunner.Pending> waiting, List<Running> running, Exception failure) {
        while (failure == null && running.size() < parallel) {
            StudyRunner.Pending next = firstReady(waiting, running);
            if (next == null) {
                break;
            }
            waiting.remove(next);
            try {
                running.add(start(next));
            } catch (IOException | RuntimeException e) {
                out.printf("[%d/%d] %s: not started; no further step starts%n", next.index(), next.of(), next.name());
                return e;
            }
        }
        return failure;
    }

    /**
     * The first waiting step, in the study's order, whose teacher and starting point have finished, preferring one
     * whose teacher is not shown the same minibatches by a running step (started after it, it reads that step's
     * logits instead of running the teacher); or null when none is ready.
     */
    private StudyRunner.Pending firstReady(List<StudyRunner.Pending> waiting, List<Running> running) {
        List<StudyRunner.Pending> ready = waiting.stream()
                .filter(p -> runner.usedBy(p.name()).stream().allMatch(runner::isDone)).toList();
        Set<StudyRunner.TeacherStream> computing = running.stream().map(r -> stream(r.step()))
                .filter(Objects::nonNull).collect(Collectors.toSet());
        return ready.stream().filter(p -> !computing.contains(stream(p))).findFirst()
                .orElse(ready.isEmpty() ? null : ready.get(0));
    }

    /** A step's teacher stream, or null where it has none or its settings are refused (it fails when started). */
    private StudyRunner.TeacherStream stream(StudyRunner.Pending p) {
        try {
            return streams.computeIfAbsent(p.name(), name -> Optional.ofNullable(runner.teacherStream(p.job())))
                    .orElse(null);
        } catch (RuntimeException e) { // a value refused in the step: it fails, in one line, when it starts
            return null;
        }
    }

    private Running start(StudyRunner.Pending p) throws IOException {
        boolean resume = StudyRunner.resumes(p.job());
        List<String> args = new ArrayList<>(p.job().args());
        if (resume) {
            args.add("--resume");
        }
        Path store = runner.logitsStore(p.job()); // also refuses a bad value in the step, in one line, as in this process
        if (store != null) { // not in the step's command, as --resume is not: it changes no number
            args.addAll(List.of("--teacher-logits-store", store.toString()));
        }
        Path log = p.job().out().resolve(LOG);
        Files.createDirectories(log.getParent());
        Files.writeString(log, String.format("# %s%s%n", p.command(), resume ? " --resume" : ""), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        out.printf("%n[%d/%d] %s: started: %s%n    (its output: %s)%n", p.index(), p.of(), p.name(), p.command(),
                runner.shownPath(log));
        return new Running(p, processes.start(args, log, threads), System.nanoTime());
    }

    /** The steps whose processes have ended, once at least one has. */
    private static List<Running> awaitEnded(List<Running> running) {
        CompletableFuture.anyOf(running.stream().map(r -> r.process().onExit()).toArray(CompletableFuture[]::new)).join();
        return running.stream().filter(r -> !r.process().isAlive()).toList();
    }

    /**
     * Finishes a step whose process ended well and writes the report; returns the failure when its process failed,
     * or finishing it or the report did (the steps still running go on).
     */
    private Exception ended(Running r, Report report) {
        StudyRunner.Pending p = r.step();
        int exit = r.process().exitValue();
        Path log = p.job().out().resolve(LOG);
        if (exit != 0) {
            out.printf("[%d/%d] %s: failed after %s; no further step starts%n", p.index(), p.of(), p.name(),
                    StudyRunner.took(r.startedNanos()));
            return new IllegalStateException("study step " + p.name() + " failed (exit " + exit + "): " + lastLine(log)
                    + " (its output: " + runner.shownPath(log) + ")");
        }
        try {
            runner.finish(p, out);
            out.printf("[%d/%d] %s: finished in %s%n", p.index(), p.of(), p.name(), StudyRunner.took(r.startedNanos()));
            report.write();
            return null;
        } catch (IOException | RuntimeException e) {
            out.printf("[%d/%d] %s: trained, but what follows failed; no further step starts%n", p.index(), p.of(),
                    p.name());
            return e;
        }
    }

    /** The last line a failed step's process wrote (its one-line error), without the command's prefix. */
    static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("# bin/apprentice ")).toList(); // not the header
            return lines.isEmpty() ? "it wrote nothing" : lines.get(lines.size() - 1).replaceFirst("^apprentice: ", "");
        } catch (IOException | UncheckedIOException e) {
            return "its output cannot be read";
        }
    }

    /** Stops the steps still training (the study was interrupted) and waits for them to end. */
    private static void stop(List<Running> running) {
        for (Running r : running) {
            r.process().destroy();
        }
        for (Running r : running) {
            try {
                if (!r.process().waitFor(30, TimeUnit.SECONDS)) {
                    r.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.process().destroyForcibly();
            }
        }
    }
}
