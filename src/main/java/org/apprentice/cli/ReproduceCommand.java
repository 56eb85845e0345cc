package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apprentice.study.Study;
import org.apprentice.study.StudyRunner;
import org.apprentice.train.TrainingRun;

/**
 * {@code apprentice reproduce NAME}: runs a study ({@code resnets/studies/NAME.properties}) with
 * {@link StudyRunner}, each step parsed as the {@code train} command line would be, and prints the
 * paper's claims from the results file.
 */
@Parameters(commandDescription = "Run a reproduction study (resnets/studies/NAME.properties; e.g. fashion-mnist) and write "
        + "resnets/results/NAME.md; rerun the same command to continue an interrupted study")
final class ReproduceCommand {
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

    @Parameter(names = "--steps", description = "Run only these steps (comma-separated names from the study file), "
            + "e.g. to share a study out between machines; the steps they use must have run (or be kept) already")
    List<String> steps = new ArrayList<>();

    @Parameter(names = "--parallel", description = "Train up to N steps at once, each in a process of its own with its "
            + "share of the threads (a step waits for the steps whose models it uses)")
    int parallel = 1;

    int run(Path home, PrintStream stdout) throws java.io.IOException {
        if (names.size() != 1) {
            throw new IllegalArgumentException("reproduce needs one study name; studies: "
                    + String.join(", ", Study.available(home)));
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1 (got " + parallel + ")");
        }
        if (parallel > 1 && reportOnly) {
            throw new IllegalArgumentException("--parallel runs steps, --report-only runs none: give one of them");
        }
        Study study = Study.load(home, names.get(0), quick);
        String tag = study.name() + (quick ? "-quick" : "");
        Path folder = (out != null ? out : home.resolve("runs").resolve("reproduce").resolve(tag)).toAbsolutePath();
        Path resultsFile = (results != null ? results : home.resolve("resnets").resolve("results").resolve(tag + ".md"))
                .toAbsolutePath();
        String invocation = "bin/apprentice reproduce " + study.name() + (quick ? " --quick" : "")
                + (out != null ? " --out " + StudyRunner.shown(home, folder.toString()) : "")
                + (results != null ? " --results " + StudyRunner.shown(home, resultsFile.toString()) : "");
        // finished steps are kept beside the results file, to be committed: a later session continues from them
        Path kept = quick ? null : resultsFile.resolveSibling(tag);
        StudyRunner runner = new StudyRunner(home, study, quick, folder, resultsFile, invocation, kept);
        Set<String> selected = new LinkedHashSet<>(steps.stream().map(String::trim).toList());
        String report = parallel > 1
                ? runner.runInParallel(new TrainProcesses(home), parallel, TrainProcesses.threadsEach(parallel), stdout, selected)
                : runner.run((step, settings) -> new TrainingRun(settings, home, stdout).run(), stdout, reportOnly, selected);
        stdout.printf("%nresults: %s%n", resultsFile);
        int from = report.indexOf("## The paper's claims");
        if (from >= 0) {
            stdout.print(report.substring(from, report.indexOf("## Exact commands", from)));
        }
        return 0;
    }
}
