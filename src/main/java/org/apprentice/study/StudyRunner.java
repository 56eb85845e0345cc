package org.apprentice.study;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apprentice.io.AtomicFiles;
import org.apprentice.kd.TeacherLogitsStore;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.runtime.GitInfo;
import org.apprentice.runtime.MachineInfo;
import org.apprentice.train.DataSettings;
import org.apprentice.train.Provenance;
import org.apprentice.train.RunFolder;
import org.apprentice.train.RunSettings;

/**
 * Runs a study: every step in order, each a {@code train} run in its own folder under the study's folder,
 * then the determinism repeat, rewriting the results file after every step. A finished step (its
 * {@value #DONE} marker holds its command) is skipped; an interrupted one resumes from its last checkpoint;
 * a folder finished by a different command is refused. So the same invocation continues a stopped study.
 */
public final class StudyRunner {
    /** The marker a finished step leaves in its folder, holding the command that ran it. */
    public static final String DONE = "step.done";
    /** The folder, in the study's, where its steps keep their teachers' logits for one another. */
    static final String LOGITS = "teacher-logits";

    /** Runs one step with its settings (built from its recipe and flags, with its run folder). */
    @FunctionalInterface
    public interface StepTrainer {
        void train(String step, RunSettings settings) throws IOException;
    }

    /**
     * A step to run in folder {@code out}: its {@code train} command's arguments (shown, and recorded when it is done)
     * and the step its settings are built from when it runs (a teacher's file, written by an earlier step, then says
     * what it is).
     */
    record Job(List<String> args, Study.Step step, Path out) {
    }

    private final Path home;
    private final Study study;
    private final boolean quick;
    private final Path folder;
    private final Path resultsFile;
    private final String invocation;
    /** Where finished steps are kept across sessions ({@link StepArchive}), or null. */
    private final Path kept;

    /**
     * @param folder      the study's run folder
     * @param resultsFile the Markdown results file
     * @param invocation  the command that runs the study, as the user would type it (for the results file)
     * @param kept        where finished steps are kept for later sessions ({@link StepArchive}), or null
     */
    public StudyRunner(Path home, Study study, boolean quick, Path folder, Path resultsFile, String invocation,
                       Path kept) {
        this.home = home;
        this.study = study;
        this.quick = quick;
        this.folder = folder;
        this.resultsFile = resultsFile;
        this.invocation = invocation;
        this.kept = kept;
    }

    private List<String> flags() {
        return quick ? study.quickFlags() : study.flags();
    }

    /** Every job by folder name: the steps, then the optional repeat in a folder of its own. */
    Map<String, Job> jobs() {
        Map<String, Job> jobs = new LinkedHashMap<>();
        Path recipes = Study.recipesFolder(home);
        for (Study.Step step : study.steps()) {
            jobs.put(step.name(), new Job(step.trainArgs(recipes, flags(), folder), step, folder.resolve(step.name())));
        }
        if (study.repeatStep() != null) {
            Job repeated = jobs.get(study.repeatStep());
            Path repeatFolder = folder.resolve(Study.repeatFolder(study.repeatStep()));
            List<String> a = new ArrayList<>(repeated.args());
            a.set(a.size() - 1, repeatFolder.toString());
            jobs.put(Study.repeatFolder(study.repeatStep()), new Job(a, repeated.step(), repeatFolder));
        }
        return jobs;
    }

    /** The settings a job trains with, built now (from its step's recipe and flags, in its folder). */
    RunSettings settings(Job job) {
        try {
            return job.step().settings(Study.recipesFolder(home), flags(), folder).toBuilder().out(job.out()).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("study step " + job.out().getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** Runs what is left of the study (nothing with {@code reportOnly}), then writes and returns the report. */
    public String run(StepTrainer trainer, PrintStream out, boolean reportOnly) throws IOException {
        return run(trainer, out, reportOnly, Set.of());
    }

    /**
     * Runs what is left of the steps named in {@code only} (every step when it is empty), so one study can be
     * shared out between sessions or machines; the other steps are only restored from where they are kept.
     * Then writes and returns the report of everything done so far.
     */
    public String run(StepTrainer trainer, PrintStream out, boolean reportOnly, Set<String> only) throws IOException {
        Plan plan = plan(out, reportOnly, only);
        for (Pending p : plan.todo()) {
            if (prepare(p, out)) {
                out.printf("%n[%d/%d] %s: %s%n", p.index(), p.of(), p.name(), p.command());
                long started = System.nanoTime();
                trainer.train(p.name(), settings(p.job()).toBuilder().resume(resumes(p.job()))
                        .teacherLogitsStore(logitsStore(p.job())).build());
                finish(p, out);
                out.printf("[%d/%d] %s: finished in %s%n", p.index(), p.of(), p.name(), took(started));
                writeReport(plan.commit(), plan.commands());
            }
        }
        return writeReport(plan.commit(), plan.commands());
    }

    /**
     * As {@link #run(StepTrainer, PrintStream, boolean, Set)}, with up to {@code parallel} steps training at once,
     * each a {@code train} process of its own started by {@code processes} with {@code threads} threads; a step starts
     * once the steps whose models it uses have finished. A failed step stops the study (after the steps still
     * training have finished), naming its output.
     */
    public String runInParallel(StepProcesses processes, int parallel, int threads, PrintStream out, Set<String> only)
            throws IOException {
        Plan plan = plan(out, false, only);
        new ParallelSteps(this, processes, parallel, threads, out).run(plan.todo(),
                () -> writeReport(plan.commit(), plan.commands()));
        return writeReport(plan.commit(), plan.commands());
    }

    /** The steps left to consider, in order, with the commands that run them and the commit the report names. */
    private record Plan(String commit, Map<String, String> commands, List<Pending> todo) {
    }

    /** A job the study runs now: its place in the study and its command as shown. */
    record Pending(int index, int of, String name, Job job, String command) {
    }

    /**
     * Checks the selection, prints the study's first line, restores the steps not selected from where they are kept,
     * and lists the selected jobs in order (nothing with {@code reportOnly}).
     */
    private Plan plan(PrintStream out, boolean reportOnly, Set<String> only) throws IOException {
        String commit = GitInfo.describe(home);
        Map<String, Job> jobs = jobs();
        checkSelection(jobs.keySet(), only, reportOnly);
        Map<String, String> commands = new LinkedHashMap<>();
        jobs.forEach((name, job) -> commands.put(name, "bin/apprentice "
                + String.join(" ", job.args().stream().map(this::shown).toList())));
        out.printf("study %s%s: %d steps in %s; results in %s%n", study.name(), quick ? " (quick)" : "",
                jobs.size(), folder, resultsFile);
        List<Pending> todo = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, Job> job : jobs.entrySet()) {
            i++;
            if (reportOnly || !(only.isEmpty() || only.contains(job.getKey()))) {
                // a fresh machine: the report reads the steps kept for later sessions too (restoring trains nothing)
                // (an unfinished run folder is left alone: another session may be training in it)
                if (kept != null) {
                    StepArchive.restore(kept.resolve(job.getKey()), folder.resolve(job.getKey()), commands.get(job.getKey()),
                            false);
                }
                continue;
            }
            todo.add(new Pending(i, jobs.size(), job.getKey(), job.getValue(), commands.get(job.getKey())));
        }
        return new Plan(commit, commands, todo);
    }

    /**
     * Gets a job ready to train: restores it from where it is kept when it finished there, skips it (false) when its
     * folder says it is done, and otherwise says whether it resumes from a checkpoint.
     */
    boolean prepare(Pending p, PrintStream out) throws IOException {
        Path dir = p.job().out();
        Path done = dir.resolve(DONE);
        boolean unfinished = !StepArchive.isEmptyOrAbsent(dir) && !Files.isRegularFile(done);
        if (kept != null && StepArchive.restore(kept.resolve(p.name()), dir, p.command(), true)) {
            out.printf("[%d/%d] %s: restored from %s%s%n", p.index(), p.of(), p.name(), shown(kept.resolve(p.name()).toString()),
                    unfinished ? " (finished there; the unfinished run folder here was moved aside to "
                            + shown(StepArchive.lastMovedAside(dir).toString()) + ")" : "");
        }
        if (Files.isRegularFile(done)) {
            String previous = Files.readString(done, StandardCharsets.UTF_8).trim();
            if (!previous.equals(p.command())) {
                throw new IllegalArgumentException("study step " + dir + " was run by another command (" + previous
                        + "); remove that folder or give another --out");
            }
            out.printf("[%d/%d] %s: done, skipped%n", p.index(), p.of(), p.name());
            if (kept != null && !StepArchive.kept(kept.resolve(p.name()))) {
                StepArchive.keep(dir, kept.resolve(p.name()), usedLater(p.name())); // finished before steps were kept
            }
            return false;
        }
        if (resumes(p.job())) {
            out.printf("[%d/%d] %s: resuming from its last checkpoint%n", p.index(), p.of(), p.name());
        }
        return true;
    }

    /**
     * Where a job keeps its frozen teacher's logits for the study's other steps that show the teacher the same
     * minibatches (another temperature, scheme or student with the same seed), or null where it has none to keep.
     * Not part of the step's command: it changes no number the step computes ({@link TeacherLogitsStore}).
     */
    Path logitsStore(Job job) {
        RunSettings s = settings(job);
        boolean keeps = s.scheme().hasFrozenTeacher() && !s.execution().cacheTeacherLogits()
                && s.execution().replicas() == 1 && s.execution().spark() == null;
        return keeps ? folder.resolve(LOGITS) : null;
    }

    /**
     * What a job's frozen teacher is shown (its file, the data, the minibatch stream), or null where it keeps no
     * logits: two jobs with the same one that run at once both run the teacher, one after the other the second reads
     * the first's logits. A scheduling hint only: the store itself checks every minibatch ({@link TeacherLogitsStore}).
     */
    TeacherStream teacherStream(Job job) {
        if (logitsStore(job) == null) {
            return null;
        }
        RunSettings s = settings(job);
        return new TeacherStream(s.distillation().teacher(), s.distillation().teacherWidth(),
                s.distillation().teacherModel(), s.data(), s.optimisation().seed(), s.optimisation().batch());
    }

    /** A frozen teacher (its network, width and file) and the minibatches it is shown: what its logits depend on. */
    record TeacherStream(ResNetArchitecture network, double width, Path file, DataSettings data, long seed, int batch) {
    }

    /** Whether a job's folder holds a checkpoint to resume from. */
    static boolean resumes(Job job) {
        return Files.isRegularFile(job.out().resolve("latest"));
    }

    /** Marks a job that trained to its end as done, keeps it, and drops the kept models no step needs any more. */
    void finish(Pending p, PrintStream out) throws IOException {
        AtomicFiles.writeString(p.job().out().resolve(DONE), p.command() + "\n");
        if (kept != null) {
            StepArchive.keep(p.job().out(), kept.resolve(p.name()), usedLater(p.name()));
            dropModelsNoLongerNeeded(p.name(), out);
        }
    }

    /** Whether a step (by folder name) has finished here. */
    boolean isDone(String step) {
        return Files.isRegularFile(folder.resolve(step).resolve(DONE));
    }

    /**
     * Refuses, in one line and before anything trains, a selected step the study does not have, and one whose
     * teacher or starting point ({@code @STEP}) is neither selected too nor finished (here or kept).
     */
    private void checkSelection(Set<String> jobs, Set<String> only, boolean reportOnly) {
        if (reportOnly && !only.isEmpty()) {
            throw new IllegalArgumentException("--steps runs steps, --report-only runs none: give one of them");
        }
        for (String name : only) {
            if (!jobs.contains(name)) {
                throw new IllegalArgumentException("--steps: study " + study.name() + " has no step '" + name
                        + "'; its steps: " + String.join(", ", jobs));
            }
            for (String used : usedBy(name)) {
                boolean finished = Files.isRegularFile(folder.resolve(used).resolve(DONE))
                        || (kept != null && StepArchive.kept(kept.resolve(used)));
                if (!only.contains(used) && !finished) {
                    throw new IllegalArgumentException("--steps: study step " + name + " uses @" + used
                            + ", which has not run yet: run it first, or add it to --steps");
                }
            }
        }
    }

    /** The steps whose models a job uses (a repeat uses what its step uses). */
    List<String> usedBy(String job) {
        return study.steps().stream()
                .filter(s -> s.name().equals(job) || Study.repeatFolder(s.name()).equals(job))
                .flatMap(s -> s.uses().stream()).toList();
    }

    /**
     * The kept models that {@code finished} used and that no unfinished step uses any more are dropped from where the
     * study keeps them (committed), so that a long study carries only the models its remaining steps need; the models
     * the study names in {@code keep-models} stay.
     */
    private void dropModelsNoLongerNeeded(String finished, PrintStream out) throws IOException {
        for (String used : usedBy(finished)) {
            if (study.keepModels().contains(used)) {
                continue;
            }
            boolean needed = study.steps().stream().filter(s -> s.uses().contains(used)).anyMatch(s ->
                    !Files.isRegularFile(folder.resolve(s.name()).resolve(DONE)) && !StepArchive.kept(kept.resolve(s.name())));
            if (!needed && StepArchive.dropModel(kept.resolve(used))) {
                out.printf("%s: every step that uses its model has finished; its model is no longer kept in %s%n",
                        used, shown(kept.resolve(used).toString()));
            }
        }
    }

    /** Whether a step's model is used by another step ({@code @NAME}): then it is kept with the step. */
    private boolean usedLater(String name) {
        return study.steps().stream().anyMatch(s -> s.uses().contains(name));
    }

    private String writeReport(String commit, Map<String, String> commands) throws IOException {
        StudyResults results = study.report().of(study, folder);
        String report = results.render(header(commit), commands);
        results.writeBeside(resultsFile);
        AtomicFiles.writeString(resultsFile, report);
        return report;
    }

    private List<String> header(String commit) {
        List<String> h = new ArrayList<>();
        h.add("Produced by `" + invocation + "` (study definition `resnets/studies/" + study.name()
                + ".properties`; every step also gets `" + String.join(" ", flags()) + "`).");
        h.add("Commit of this invocation: `" + (commit == null ? "unknown (not a git checkout)" : commit) + "`.");
        trainedWith(h);
        h.add("Machine: " + MachineInfo.describe() + ".");
        h.add("Written " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))
                + "; run folders under `" + shown(folder.toString()) + "/`.");
        boolean everyEpoch = jobs().values().stream().allMatch(this::evaluatesEveryEpoch);
        h.add("Test accuracy is on the whole test split " + (everyEpoch ? "after every epoch"
                : "after the last epoch of each step, and every --eval-every epochs before it")
                + "; the models, metrics and curves of each step are in its run folder.");
        return h;
    }

    /**
     * Whether a step evaluates the test split after every epoch; a step whose settings are refused says nothing here
     * (it is refused, by name, when it runs).
     */
    private boolean evaluatesEveryEpoch(Job job) {
        try {
            return settings(job).execution().evalEvery() == 1;
        } catch (IllegalArgumentException refused) {
            return true;
        }
    }

    /** A step's provenance, or null when it has none yet or it cannot be read (it is informative only here). */
    private Provenance provenance(String step) {
        try {
            return new RunFolder(folder.resolve(step)).readProvenance("student.zip");
        } catch (IllegalStateException e) {
            return null;
        }
    }

    /** The commits and the threads the finished steps' models were trained with, from their provenance. */
    private void trainedWith(List<String> h) {
        Set<String> trainedAt = new LinkedHashSet<>();
        Map<Integer, Integer> threads = new TreeMap<>();
        int unrecorded = 0;
        for (Study.Step s : study.steps()) {
            Provenance p = provenance(s.name());
            if (p != null && p.environment().gitCommit() != null) {
                trainedAt.add(p.environment().gitCommit().substring(0, Math.min(12, p.environment().gitCommit().length())));
            }
            if (p != null && p.environment().threads() != null) {
                threads.merge(p.environment().threads(), 1, Integer::sum);
            } else if (p != null) {
                unrecorded++;
            }
        }
        if (!trainedAt.isEmpty()) {
            h.add("Models trained at commit" + (trainedAt.size() > 1 ? "s " : " ") + String.join(", ", trainedAt)
                    + " (each model's `student.json` records its own).");
        }
        if (!threads.isEmpty()) { // steps trained before the threads were recorded count apart
            List<String> counts = new ArrayList<>();
            threads.forEach((t, n) -> counts.add(t + " (" + steps(n) + ")"));
            if (unrecorded > 0) {
                counts.add("not recorded (" + steps(unrecorded) + ")");
            }
            h.add("Threads per step: " + String.join(", ", counts)
                    + "; a step's numbers depend on its threads by float rounding, within the seeds' noise.");
        }
    }

    private static String steps(int n) {
        return n + (n == 1 ? " step" : " steps");
    }

    /** The time since {@code startedNanos} in words: "45 s", "2 min 14 s", "1 h 3 min". */
    static String took(long startedNanos) {
        long seconds = Math.round((System.nanoTime() - startedNanos) / 1e9);
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }

    String shownPath(Path p) {
        return shown(p.toString());
    }

    private String shown(String arg) {
        return shown(home, arg);
    }

    /** A path (or any argument) as the user would type it from the project folder {@code home}. */
    public static String shown(Path home, String arg) {
        String prefix = home.toString() + "/";
        return arg.startsWith(prefix) ? arg.substring(prefix.length()) : arg;
    }
}
