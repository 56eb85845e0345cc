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
import org.apprentice.io.AtomicFiles;
import org.apprentice.runtime.GitInfo;
import org.apprentice.runtime.MachineInfo;
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
        String commit = GitInfo.describe(home);
        Map<String, Job> jobs = jobs();
        checkSelection(jobs.keySet(), only, reportOnly);
        Map<String, String> commands = new LinkedHashMap<>();
        jobs.forEach((name, job) -> commands.put(name, "bin/apprentice "
                + String.join(" ", job.args().stream().map(this::shown).toList())));
        out.printf("study %s%s: %d steps in %s; results in %s%n", study.name(), quick ? " (quick)" : "",
                jobs.size(), folder, resultsFile);
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
            if (runStep(job.getKey(), job.getValue(), commands.get(job.getKey()), i, jobs.size(), trainer, out)) {
                writeReport(commit, commands);
            }
        }
        return writeReport(commit, commands);
    }

    /** Runs one step unless its folder says it is done; true when it ran. */
    private boolean runStep(String name, Job job, String command, int i, int of, StepTrainer trainer,
                            PrintStream out) throws IOException {
        Path dir = folder.resolve(name);
        Path done = dir.resolve(DONE);
        boolean unfinished = !StepArchive.isEmptyOrAbsent(dir) && !Files.isRegularFile(done);
        if (kept != null && StepArchive.restore(kept.resolve(name), dir, command, true)) {
            out.printf("[%d/%d] %s: restored from %s%s%n", i, of, name, shown(kept.resolve(name).toString()),
                    unfinished ? " (finished there; the unfinished run folder here was moved aside to "
                            + shown(StepArchive.lastMovedAside(dir).toString()) + ")" : "");
        }
        if (Files.isRegularFile(done)) {
            String previous = Files.readString(done, StandardCharsets.UTF_8).trim();
            if (!previous.equals(command)) {
                throw new IllegalArgumentException("study step " + dir + " was run by another command (" + previous
                        + "); remove that folder or give another --out");
            }
            out.printf("[%d/%d] %s: done, skipped%n", i, of, name);
            if (kept != null && !StepArchive.kept(kept.resolve(name))) {
                StepArchive.keep(dir, kept.resolve(name), usedLater(name)); // finished before steps were kept
            }
            return false;
        }
        boolean resume = Files.isRegularFile(dir.resolve("latest"));
        if (resume) {
            out.printf("[%d/%d] %s: resuming from its last checkpoint%n", i, of, name);
        }
        out.printf("%n[%d/%d] %s: %s%n", i, of, name, command);
        trainer.train(name, settings(job).toBuilder().resume(resume).build());
        AtomicFiles.writeString(done, command + "\n");
        if (kept != null) {
            StepArchive.keep(dir, kept.resolve(name), usedLater(name));
            dropModelsNoLongerNeeded(name, out);
        }
        return true;
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
    private List<String> usedBy(String job) {
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
        Set<String> trainedAt = new LinkedHashSet<>();
        for (Study.Step s : study.steps()) {
            Provenance p = provenance(s.name());
            if (p != null && p.environment().gitCommit() != null) {
                trainedAt.add(p.environment().gitCommit().substring(0, Math.min(12, p.environment().gitCommit().length())));
            }
        }
        if (!trainedAt.isEmpty()) {
            h.add("Models trained at commit" + (trainedAt.size() > 1 ? "s " : " ") + String.join(", ", trainedAt)
                    + " (each model's `student.json` records its own).");
        }
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

    private String shown(String arg) {
        return shown(home, arg);
    }

    /** A path (or any argument) as the user would type it from the project folder {@code home}. */
    public static String shown(Path home, String arg) {
        String prefix = home.toString() + "/";
        return arg.startsWith(prefix) ? arg.substring(prefix.length()) : arg;
    }
}
