package org.apprentice.cli;

import com.beust.jcommander.JCommander;
import com.beust.jcommander.Parameter;
import com.beust.jcommander.ParameterException;
import com.beust.jcommander.Parameters;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apprentice.runtime.MachineInfo;
import org.apprentice.study.Study;
import org.apprentice.study.StudyReport;
import org.apprentice.train.AtomicFiles;
import org.apprentice.train.Provenance;

/**
 * {@code apprentice reproduce NAME}: runs every step of a study ({@code resnets/studies/NAME.properties})
 * in order, each an {@code apprentice train} run in its own folder, and writes the results file. A step
 * that finished is skipped, a step that was interrupted resumes from its last epoch checkpoint, so the
 * same command continues a stopped study. The results file is rewritten after every step.
 */
@Parameters(commandDescription = "Run a reproduction study (resnets/studies/NAME.properties; e.g. fashion-mnist) and write "
        + "resnets/results/NAME.md; rerun the same command to continue an interrupted study")
final class ReproduceCommand {
    static final String DONE = "step.done";

    @Parameter(description = "STUDY")
    List<String> names = new ArrayList<>();

    @Parameter(names = "--quick", description = "The study's smoke version (its quick.flags: a smaller training subset, fewer epochs)")
    boolean quick;

    @Parameter(names = "--out", description = "Folder of the study's runs (default runs/reproduce/NAME, or NAME-quick)")
    Path out;

    @Parameter(names = "--results", description = "Results file (default resnets/results/NAME.md, or NAME-quick.md)")
    Path results;

    @Parameter(names = "--report-only", description = "Only rewrite the results file from the steps already run")
    boolean reportOnly;

    int run(Path home, PrintStream stdout) throws IOException {
        if (names.size() != 1) {
            throw new IllegalArgumentException("reproduce needs one study name; studies: "
                    + String.join(", ", Study.available(home)));
        }
        Study study = Study.load(home, names.get(0), quick);
        String tag = study.name() + (quick ? "-quick" : "");
        Path folder = (out != null ? out : home.resolve("runs").resolve("reproduce").resolve(tag)).toAbsolutePath();
        Path resultsFile = (results != null ? results : home.resolve("resnets").resolve("results").resolve(tag + ".md"))
                .toAbsolutePath();
        List<String> flags = quick ? study.quickFlags() : study.flags();
        String invocation = "bin/apprentice reproduce " + study.name() + (quick ? " --quick" : "")
                + (out != null ? " --out " + shown(home, folder.toString()) : "")
                + (results != null ? " --results " + shown(home, resultsFile.toString()) : "");
        String commit = Provenance.gitCommit(home);
        // the jobs: every step, then the optional repeat of one step in a folder of its own
        Map<String, List<String>> jobs = new LinkedHashMap<>();
        for (Study.Step step : study.steps()) {
            jobs.put(step.name(), step.trainArgs(Study.recipesFolder(home), flags, folder));
        }
        if (study.repeatStep() != null) {
            List<String> a = new ArrayList<>(jobs.get(study.repeatStep()));
            a.set(a.size() - 1, folder.resolve(Study.repeatFolder(study.repeatStep())).toString());
            jobs.put(Study.repeatFolder(study.repeatStep()), a);
        }
        Map<String, String> commands = new LinkedHashMap<>();
        jobs.forEach((name, a) -> commands.put(name, "bin/apprentice "
                + String.join(" ", a.stream().map(x -> shown(home, x)).toList())));
        stdout.printf("study %s%s: %d steps in %s; results in %s%n", study.name(), quick ? " (quick)" : "",
                jobs.size(), folder, resultsFile);
        int i = 0;
        for (Map.Entry<String, List<String>> job : jobs.entrySet()) {
            i++;
            if (reportOnly) {
                break;
            }
            String name = job.getKey();
            Path dir = folder.resolve(name);
            Path done = dir.resolve(DONE);
            String command = commands.get(name);
            if (Files.isRegularFile(done)) {
                String previous = Files.readString(done, StandardCharsets.UTF_8).trim();
                if (!previous.equals(command)) {
                    throw new IllegalArgumentException("study step " + dir + " was run by another command (" + previous
                            + "); remove that folder or give another --out");
                }
                stdout.printf("[%d/%d] %s: done, skipped%n", i, jobs.size(), name);
                continue;
            }
            List<String> stepArgs = new ArrayList<>(job.getValue());
            if (Files.isRegularFile(dir.resolve("latest"))) {
                stdout.printf("[%d/%d] %s: resuming from its last checkpoint%n", i, jobs.size(), name);
                stepArgs.add("--resume");
            }
            stdout.printf("%n[%d/%d] %s: %s%n", i, jobs.size(), name, command);
            train(stepArgs, home, name).run(home, stdout);
            AtomicFiles.writeString(done, command + "\n");
            writeReport(study, folder, resultsFile, header(home, study, invocation, commit, flags, folder), commands);
        }
        String report = writeReport(study, folder, resultsFile, header(home, study, invocation, commit, flags, folder),
                commands);
        stdout.printf("%nresults: %s%n", resultsFile);
        int from = report.indexOf("## The paper's claims");
        if (from >= 0) {
            stdout.print(report.substring(from, report.indexOf("## Exact commands", from)));
        }
        return 0;
    }

    /** A step's train command, parsed as the command line would be (recipe expanded, flags checked). */
    static TrainCommand train(List<String> args, Path home, String step) {
        TrainCommand train = new TrainCommand();
        try {
            JCommander.newBuilder().addCommand("train", train).build()
                    .parse(Recipes.expand(args.toArray(new String[0]), home));
        } catch (ParameterException e) {
            throw new IllegalArgumentException("study step " + step + ": " + e.getMessage());
        }
        return train;
    }

    private static String writeReport(Study study, Path folder, Path file, List<String> header,
                                      Map<String, String> commands) throws IOException {
        String report = StudyReport.of(study, folder).render(header, commands);
        AtomicFiles.writeString(file, report);
        return report;
    }

    private static List<String> header(Path home, Study study, String invocation, String commit, List<String> flags,
                                       Path folder) {
        List<String> h = new ArrayList<>();
        h.add("Produced by `" + invocation + "` (study definition `resnets/studies/" + study.name()
                + ".properties`; every step also gets `" + String.join(" ", flags) + "`).");
        h.add("Commit of this invocation: `" + (commit == null ? "unknown (not a git checkout)" : commit) + "`.");
        Set<String> trainedAt = new LinkedHashSet<>();
        Pattern p = Pattern.compile("\"gitCommit\"\\s*:\\s*\"([0-9a-f]{7,40})\"");
        for (Study.Step s : study.steps()) {
            Path json = folder.resolve(s.name()).resolve("student.json");
            try {
                Matcher m = p.matcher(Files.isRegularFile(json) ? Files.readString(json) : "");
                if (m.find()) {
                    trainedAt.add(m.group(1).substring(0, 12));
                }
            } catch (IOException e) {
                // the JSON is informative only
            }
        }
        if (!trainedAt.isEmpty()) {
            h.add("Models trained at commit" + (trainedAt.size() > 1 ? "s " : " ") + String.join(", ", trainedAt)
                    + " (each model's `student.json` records its own).");
        }
        h.add("Machine: " + MachineInfo.describe() + ".");
        h.add("Written " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))
                + "; run folders under `" + shown(home, folder.toString()) + "/`.");
        h.add("Test accuracy is on the whole test split after every epoch; the models, metrics and curves of each "
                + "step are in its run folder.");
        return h;
    }

    /** A path as the user would type it from the project folder. */
    private static String shown(Path home, String arg) {
        String prefix = home.toString() + "/";
        return arg.startsWith(prefix) ? arg.substring(prefix.length()) : arg;
    }
}
