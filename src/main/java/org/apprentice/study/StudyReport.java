package org.apprentice.study;

import static org.apprentice.study.StudyFindings.pct;
import static org.apprentice.study.StudyFindings.signed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apprentice.model.ModelSize;
import org.apprentice.study.Comparisons.Gain;
import org.apprentice.study.Comparisons.Repeat;
import org.apprentice.study.Comparisons.Row;
import org.apprentice.study.Comparisons.Sweep;
import org.apprentice.study.Comparisons.Variant;

/**
 * The results file of a study ({@code resnets/results/NAME.md}), laid out in Markdown from what its steps
 * left in their folders ({@link Comparisons}): test top-1 and error per configuration and scheme, the gain of
 * each scheme over the no-distillation student, model sizes, epochs to come within 0.5 points of the final
 * accuracy, the variants and teacher sweeps, the paper's claims ({@link StudyFindings}), and the exact commands.
 */
public final class StudyReport implements StudyResults {
    private final Comparisons c;
    private final Study study;

    /** @param results each step's result by step name (null or absent: not run yet), and the repeat's */
    public StudyReport(Study study, Map<String, StepResult> results) {
        this.c = new Comparisons(study, results);
        this.study = study;
    }

    /** Reads every step's folder under {@code folder}. */
    public static StudyReport of(Study study, Path folder) {
        return new StudyReport(study, StepResult.readAll(study, folder));
    }

    /**
     * The markdown report.
     *
     * @param header   lines describing the run (command, commit, machine, date), printed as a list
     * @param commands each step's exact train command, by step name
     */
    @Override
    public String render(List<String> header, Map<String, String> commands) {
        StringBuilder md = new StringBuilder();
        title(md, header);
        accuracies(md);
        gains(md);
        reference(md);
        sizes(md);
        convergence(md);
        variants(md);
        sweeps(md);
        md.append("## The paper's claims against these numbers\n\n");
        List<String> findings = StudyFindings.of(c);
        if (findings.isEmpty()) {
            md.append("No complete comparisons yet.\n");
        }
        for (String f : findings) {
            md.append("- ").append(f).append('\n');
        }
        md.append('\n');
        reproducibility(md);
        commands(md, commands);
        return md.toString();
    }

    private void title(StringBuilder md, List<String> header) {
        md.append("# ").append(study.title()).append("\n\n");
        for (String h : header) {
            md.append("- ").append(h).append('\n');
        }
        long complete = c.stepsComplete();
        md.append("- Steps complete: ").append(complete).append(" of ").append(study.steps().size())
                .append(complete < study.steps().size()
                        ? " (the rest show as \"not run\"; run the same command again to continue)" : "")
                .append("\n\n");
    }

    /** The table's columns: no distillation, A, B, C, and C's control where the study ran it. */
    private List<Column> columns() {
        boolean control = c.rows().stream().anyMatch(r -> r.byColumn().containsKey(Column.C_CONTROL));
        return java.util.Arrays.stream(Column.values()).filter(col -> col != Column.C_CONTROL || control).toList();
    }

    private void accuracies(StringBuilder md) {
        List<Column> columns = columns();
        md.append("## Test top-1 (error) on the whole test split\n\n");
        md.append("| student | precision");
        columns.forEach(col -> md.append(" | ").append(col.header()));
        md.append(" |\n|---|---").append("|---".repeat(columns.size())).append("|\n");
        StepResult teacher = c.teacher();
        if (teacher != null) {
            md.append("| ").append(teacher.model()).append(" (teacher) | fp32 | ").append(accuracy(teacher))
                    .append(" |".repeat(columns.size() - 1)).append(" |\n");
        }
        List<String> jointTeachers = new ArrayList<>();
        for (Row row : c.rows()) {
            md.append("| ").append(row.config().model()).append(" | ").append(row.config().precision());
            for (Column column : columns) {
                StepResult r = row.byColumn().get(column);
                md.append(" | ").append(r == null
                        ? (row.config().fullPrecision() && column != Column.NONE ? "" : "not run") : accuracy(r));
            }
            md.append(" |\n");
            StepResult a = row.complete(Column.A);
            if (a != null && !Double.isNaN(a.teacherTop1())) {
                jointTeachers.add(String.format("%.2f%% (with the %s student)", 100 * a.teacherTop1(), a.precision()));
            }
        }
        md.append("\nScheme A's jointly trained teachers: ")
                .append(jointTeachers.isEmpty() ? "none yet" : String.join(", ", jointTeachers)).append(".\n\n");
    }

    private void gains(StringBuilder md) {
        boolean control = columns().contains(Column.C_CONTROL);
        md.append("## Gain over the no-distillation student (top-1 points)\n\n");
        md.append("| student | precision | no distillation | scheme A | scheme B | scheme C | best | best vs fp32 student |"
                + (control ? " C vs its control |" : "") + "\n|---|---|---|---|---|---|---|---|"
                + (control ? "---|" : "") + "\n");
        StepResult fp = c.fpStudent();
        for (Gain g : c.gains()) {
            StepResult none = g.none();
            md.append("| ").append(g.row().config().model()).append(" | ").append(g.row().config().precision())
                    .append(" | ").append(none == null ? "not run" : pct(none.finalTop1()));
            for (Column column : Comparisons.DISTILLATION) {
                StepResult r = g.row().complete(column);
                md.append(" | ").append(r == null || none == null ? "not run" : signed(r.finalTop1() - none.finalTop1()));
            }
            md.append(" | ").append(g.best() == null ? "" : Column.of(g.best()).flag());
            md.append(" | ").append(g.best() == null || fp == null ? "" : signed(g.best().finalTop1() - fp.finalTop1()));
            if (control) {
                StepResult cc = g.row().complete(Column.C);
                StepResult ctl = g.row().complete(Column.C_CONTROL);
                md.append(" | ").append(cc == null || ctl == null ? "not run" : signed(cc.finalTop1() - ctl.finalTop1()));
            }
            md.append(" |\n");
        }
        md.append('\n');
        seeds(md);
    }

    /** Cells run with several seeds: mean ± sd, and each gain over its control with its t-test. */
    private void seeds(StringBuilder md) {
        var cells = c.seedCells();
        if (!severalSeeds()) {
            return;
        }
        md.append("## Across seeds\n\n");
        md.append("Final test top-1 over the seeds each cell ran with: mean ± sample standard deviation. A gain is the "
                + "difference of the two cells' means. Where both cells ran the same seeds, the runs are paired by seed "
                + "(a seed fixes the training subset, the initialisation and the augmentation of both) and a paired "
                + "t-test gives the two-sided p-value; otherwise Welch's t-test (unequal variances). "
                + "A gain counts as a finding only with at least two seeds on each side and p < 0.05; single-seed cells "
                + "are marked.\n\n");
        md.append("| student | precision | cell | seeds | final top-1 |\n|---|---|---|---|---|\n");
        cells.forEach((config, byColumn) -> byColumn.forEach((column, cell) -> md.append(String.format(
                "| %s | %s | %s | %d | %s |%n", config.model(), config.precision(), column.header(), cell.n(),
                meanSd(cell)))));
        md.append("\n| student | precision | gain | difference (points) | test | t | p | verdict |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Comparisons.SeedGain g : c.seedGains()) {
            md.append(String.format("| %s | %s | %s vs %s | %s | %s | %s | %s | %s |%n", g.cell().config().model(),
                    g.cell().config().precision(), g.cell().column().flag(), g.control().column().flag(),
                    signed(g.difference()), g.test(), Double.isNaN(g.t()) ? "" : String.format("%.2f", g.t()),
                    Double.isNaN(g.p()) ? "" : String.format("%.3f", g.p()),
                    g.singleSeed() ? "single seed: not tested" : g.finding() ? "finding" : "within noise"));
        }
        md.append('\n');
    }

    /** Each reference figure beside ours, and by how much ours falls short where it does. */
    private void reference(StringBuilder md) {
        Study.Reference ref = study.reference();
        if (ref.isEmpty()) {
            return;
        }
        md.append("## Against the reference\n\n");
        md.append("Reference: ").append(ref.source().isEmpty() ? "(source not given)" : ref.source())
                .append(". Ours is the mean over the seeds of the step's cell where it ran with several.\n\n");
        md.append("| step | student | precision | cell | reference | ours | difference (points) | verdict |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        boolean shortfall = false;
        List<Comparisons.Against> against = c.againstReference();
        for (Comparisons.Against a : against) {
            StepResult r = a.result();
            if (r == null) {
                md.append(String.format("| %s |  |  |  | %.2f%% | not run |  |  |%n", a.step(), a.reference()));
                continue;
            }
            shortfall |= !a.reached();
            md.append(String.format("| %s | %s | %s | %s | %.2f%% | %s%s | %+.2f | %s |%n", a.step(), r.model(),
                    r.precision(), Column.of(r).header(), a.reference(), pct(a.ours()),
                    a.seeds() > 1 ? " (" + a.seeds() + " seeds)" : "", a.difference(),
                    a.reached() ? "reached" : String.format("short by %.2f points", -a.difference())));
        }
        md.append('\n');
        trials(md, against.stream().flatMap(a -> a.trials().stream()).toList());
        if (shortfall && !ref.tried().isEmpty()) {
            md.append("Where ours falls short, what was tried: ").append(ref.tried()).append("\n\n");
        }
    }

    /** The steps run to reach a reference figure: what each changes, and where it landed (one seed each). */
    private static void trials(StringBuilder md, List<Comparisons.Trial> trials) {
        if (trials.isEmpty()) {
            return;
        }
        md.append("Trials to reach a reference figure: single runs, each the step it tries with the changes shown; they "
                + "are not seeds of any cell above. \"Change\" is the trial's top-1 minus the tried step's at the same "
                + "seed (blank where the tried step or that seed of its cell has not run, or where the trial runs another "
                + "recipe).\n\n");
        md.append("| trial | tries | changes | reference | top-1 | change (points) | difference (points) | verdict |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Comparisons.Trial t : trials) {
            if (t.result() == null) {
                md.append(String.format("| %s | %s | %s | %.2f%% | not run |  |  |  |%n", t.step(), t.tried(),
                        t.changes(), t.reference()));
                continue;
            }
            md.append(String.format("| %s | %s | %s | %.2f%% | %s | %s | %+.2f | %s |%n", t.step(), t.tried(),
                    t.changes(), t.reference(), pct(t.result().finalTop1()),
                    Double.isNaN(t.change()) ? "" : String.format("%+.2f", t.change()), t.difference(),
                    t.reached() ? "reached" : String.format("short by %.2f points", -t.difference())));
        }
        md.append('\n');
    }

    /** Whether any cell ran with more than one seed. */
    private boolean severalSeeds() {
        return c.seedCells().values().stream().flatMap(m -> m.values().stream()).anyMatch(cell -> cell.n() > 1);
    }

    static String meanSd(Comparisons.Cell cell) {
        return cell.n() < 2 ? pct(cell.mean()) + " (1 seed)"
                : String.format("%.2f%% ± %.2f", 100 * cell.mean(), 100 * cell.sd());
    }

    private void sizes(StringBuilder md) {
        md.append("## Model sizes\n\n");
        md.append("Trainable parameters at 32 bits, and at the model's precision (2 bits per ternary weight, k bits per "
                + "k-bit weight, one 32-bit scale per quantized layer; first and last layers and batch norm at 32 bits).\n\n");
        md.append("| model | precision | fp32 size | size at precision | compression |\n|---|---|---|---|---|\n");
        Set<String> sized = new LinkedHashSet<>();
        for (StepResult r : c.results()) {
            if (r.size() != null && sized.add(r.model() + "|" + r.precision())) {
                ModelSize s = r.size();
                md.append(String.format("| %s | %s | %,d B | %,d B | %.1fx |%n", r.model(), r.precision(), s.fp32Bytes(),
                        s.lowPrecisionBytes(), s.compression()));
            }
        }
        md.append('\n');
    }

    private void convergence(StringBuilder md) {
        md.append("## Convergence: epochs until test top-1 stays within ").append(StudyFindings.WITHIN_POINTS)
                .append(" points of its final value\n\n");
        md.append("Scheme C starts from the trained fp32 student, whose epochs are not counted here.\n\n");
        md.append("| step | model | precision | scheme | teacher | epochs run | final top-1 | epochs to within 0.5 | "
                + "test top-1 after each epoch | training time |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (StepResult r : c.results()) {
            StringBuilder curve = new StringBuilder();
            for (double v : r.top1()) {
                curve.append(curve.length() == 0 ? "" : " ").append(String.format("%.1f", 100 * v));
            }
            md.append(String.format("| %s | %s | %s | %s | %s | %d of %d | %s | %s | %s | %.0f s |%n", r.step(), r.model(),
                    r.precision(), Column.of(r).flag(), r.settings().usesTeacher() ? r.teacherModel() : "",
                    r.top1().length, r.epochsPlanned(), pct(r.finalTop1()),
                    r.complete() ? String.valueOf(r.epochsToWithin(StudyFindings.WITHIN_POINTS)) : "", curve,
                    r.trainSeconds()));
        }
        md.append('\n');
    }

    private void variants(StringBuilder md) {
        List<Variant> variants = c.variants();
        if (variants.isEmpty()) {
            return;
        }
        md.append("## Variants: another distillation temperature\n\n");
        md.append("| step | student | precision | scheme | teacher | T | top-1 | gain over no distillation | vs the same "
                + "scheme at T=").append(num(c.mainTemperature()))
                .append(" |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Variant v : variants) {
            StepResult r = v.result();
            md.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.step(), r.model(), r.precision(),
                    r.scheme().flag(), r.teacherModel(), num(r.temperature()), pct(r.finalTop1()),
                    v.none() == null ? "" : signed(r.finalTop1() - v.none().finalTop1()),
                    v.sameScheme() == null ? "" : signed(r.finalTop1() - v.sameScheme().finalTop1())));
        }
        md.append('\n');
    }

    private void sweeps(StringBuilder md) {
        for (Sweep s : c.sweeps()) {
            md.append("## Teacher-size sweep: ").append(s.title()).append("\n\n");
            md.append("| teacher | teacher top-1 | student top-1 | gain over no distillation |\n|---|---|---|---|\n");
            for (int i = 0; i < s.runs().size(); i++) {
                StepResult r = s.runs().get(i);
                StepResult t = s.teachers().get(i);
                md.append(String.format("| %s | %s | %s | %s |%n", r.teacherModel(), t == null ? "" : pct(t.finalTop1()),
                        pct(r.finalTop1()), s.none() == null ? "" : signed(r.finalTop1() - s.none().finalTop1())));
            }
            md.append('\n');
        }
    }

    private void reproducibility(StringBuilder md) {
        md.append("## Reproducibility\n\n");
        md.append("Every step is a function of its recipe, flags and seed: the training subset (stratified), the data "
                + "order of each epoch and the initial weights all come from the seed. ");
        Repeat repeat = c.repeat();
        if (repeat != null) {
            md.append(String.format("Check: step %s was run a second time from scratch (%s, same command, new folder): %s. ",
                    repeat.step(), Study.repeatFolder(repeat.step()), repeat.identical()
                            ? "its test top-1 after every epoch was identical to the last digit"
                            : String.format("its test top-1 differed by up to %.2f points between runs", 100 * repeat.worst())));
        } else if (study.repeatStep() != null) {
            md.append("The repeat of step ").append(study.repeatStep()).append(" (a determinism check) has not run yet. ");
        }
        md.append("Multi-threaded CPU reductions (oneDNN, OpenMP) may add in a different order on another machine or "
                + "thread count, which can move the last digits and, through training, more. ");
        md.append(severalSeeds()
                ? "Cells run with several seeds have their spread and t-tests in \"Across seeds\" above; for single-seed "
                        + "cells the per-epoch column shows how much test top-1 still moves between epochs.\n\n"
                : "No other seed was tried: the per-epoch column above shows how much test top-1 still moves between "
                        + "epochs, the better guide to which differences between schemes mean anything.\n\n");
    }

    private void commands(StringBuilder md, Map<String, String> commands) {
        md.append("## Exact commands\n\n```\n");
        List<String> names = new ArrayList<>(study.steps().stream().map(Study.Step::name).toList());
        if (study.repeatStep() != null) {
            names.add(Study.repeatFolder(study.repeatStep()));
        }
        for (String name : names) {
            String command = commands.get(name);
            if (command != null) {
                md.append(command).append('\n');
            }
        }
        md.append("```\n");
    }

    private static String accuracy(StepResult r) {
        String v = String.format("%.2f%% (%.2f)", 100 * r.finalTop1(), 100 * (1 - r.finalTop1()));
        return r.complete() ? v : v + ", after " + r.top1().length + " of " + r.epochsPlanned() + " epochs";
    }

    /** A temperature as the study writes it: "4", "1.5". */
    static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
