package org.apprentice.study;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apprentice.model.ModelSize;

/**
 * The results file of a study ({@code resnets/results/NAME.md}), written from what its steps left in
 * their folders: test top-1 and error per configuration and scheme, the gain of each scheme over the
 * no-distillation student, model sizes, epochs to come within 0.5 points of the final accuracy, the
 * teacher sweep, the paper's claims checked against the numbers, and the exact commands.
 */
public final class StudyReport {
    static final String[] SCHEMES = {"NONE", "A", "B", "C"};
    /** The convergence measure: epochs until test top-1 stays within this many points of its final value. */
    static final double WITHIN_POINTS = 0.5;
    /** Gains over no distillation smaller than this (points) get compared with the runs' last-epoch change. */
    static final double LAST_EPOCH_NOTE_POINTS = 0.5;

    private final Study study;
    private final Map<String, StepResult> results = new LinkedHashMap<>();
    private final StepResult repeat;
    /** The temperature of the study's first distillation step: the main table's; other temperatures are variants. */
    private final double mainTemperature;

    /** @param results each step's result by step name (null or absent: not run yet), and the repeat's */
    public StudyReport(Study study, Map<String, StepResult> results) {
        this.study = study;
        this.repeat = study.repeatStep() == null ? null : results.get(Study.repeatFolder(study.repeatStep()));
        for (Study.Step s : study.steps()) {
            StepResult r = results.get(s.name());
            if (r != null && r.top1().length > 0) {
                this.results.put(s.name(), r);
            }
        }
        this.mainTemperature = this.results.values().stream().filter(r -> !r.scheme().equals("NONE"))
                .mapToDouble(StepResult::temperature).findFirst().orElse(1.0);
    }

    /** Reads every step's folder under {@code folder}. */
    public static StudyReport of(Study study, Path folder) {
        Map<String, StepResult> found = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            found.put(s.name(), StepResult.read(folder.resolve(s.name())));
        }
        if (study.repeatStep() != null) {
            String name = Study.repeatFolder(study.repeatStep());
            found.put(name, StepResult.read(folder.resolve(name)));
        }
        return new StudyReport(study, found);
    }

    /** Complete steps only. */
    private StepResult done(String step) {
        StepResult r = results.get(step);
        return r != null && r.complete() ? r : null;
    }

    /**
     * The markdown report.
     *
     * @param header   lines describing the run (command, commit, machine, date), printed as a list
     * @param commands each step's exact train command, by step name
     */
    public String render(List<String> header, Map<String, String> commands) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(study.title()).append("\n\n");
        for (String h : header) {
            md.append("- ").append(h).append('\n');
        }
        long complete = study.steps().stream().filter(s -> done(s.name()) != null).count();
        md.append("- Steps complete: ").append(complete).append(" of ").append(study.steps().size())
                .append(complete < study.steps().size() ? " (the rest show as \"not run\"; run the same command again to continue)" : "")
                .append("\n\n");

        StepResult teacher = done(study.teacherStep());
        StepResult fp = done(study.fpStudentStep());
        String mainTeacher = teacher != null ? teacher.model() : null;
        Map<String, Map<String, StepResult>> table = mainTable(mainTeacher);

        md.append("## Test top-1 (error) on the whole test split\n\n");
        md.append("| student | precision | no distillation | scheme A | scheme B | scheme C |\n|---|---|---|---|---|---|\n");
        if (teacher != null) {
            md.append("| ").append(teacher.model()).append(" (teacher) | fp32 | ").append(accuracy(teacher))
                    .append(" | | | |\n");
        }
        for (Map.Entry<String, Map<String, StepResult>> row : table.entrySet()) {
            String[] key = row.getKey().split("\\|");
            md.append("| ").append(key[0]).append(" | ").append(key[1]);
            for (String scheme : SCHEMES) {
                StepResult r = row.getValue().get(scheme);
                md.append(" | ").append(r == null ? (key[1].equals("fp32") && !scheme.equals("NONE") ? "" : "not run")
                        : accuracy(r));
            }
            md.append(" |\n");
        }
        md.append("\nScheme A's jointly trained teachers: ");
        List<String> jointTeachers = new ArrayList<>();
        for (Map<String, StepResult> row : table.values()) {
            StepResult a = row.get("A");
            if (a != null && a.complete() && !Double.isNaN(a.teacherTop1())) {
                jointTeachers.add(String.format("%.2f%% (with the %s student)", 100 * a.teacherTop1(), a.precision()));
            }
        }
        md.append(jointTeachers.isEmpty() ? "none yet" : String.join(", ", jointTeachers)).append(".\n\n");

        md.append("## Gain over the no-distillation student (top-1 points)\n\n");
        md.append("| student | precision | no distillation | scheme A | scheme B | scheme C | best | best vs fp32 student |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        List<String> findings = new ArrayList<>();
        for (Map.Entry<String, Map<String, StepResult>> row : table.entrySet()) {
            String[] key = row.getKey().split("\\|");
            if (key[1].equals("fp32")) {
                continue;
            }
            StepResult none = complete(row.getValue().get("NONE"));
            md.append("| ").append(key[0]).append(" | ").append(key[1]).append(" | ")
                    .append(none == null ? "not run" : pct(none.finalTop1()));
            StepResult best = null;
            List<String> losers = new ArrayList<>();
            List<String> winners = new ArrayList<>();
            for (String scheme : List.of("A", "B", "C")) {
                StepResult r = complete(row.getValue().get(scheme));
                md.append(" | ").append(r == null || none == null ? "not run" : signed(r.finalTop1() - none.finalTop1()));
                if (r != null) {
                    if (best == null || r.finalTop1() > best.finalTop1()) {
                        best = r;
                    }
                    if (none != null) {
                        (r.finalTop1() > none.finalTop1() ? winners : losers).add(scheme);
                    }
                }
            }
            md.append(" | ").append(best == null ? "" : schemeName(best.scheme()));
            md.append(" | ").append(best == null || fp == null ? "" : signed(best.finalTop1() - fp.finalTop1()));
            md.append(" |\n");
            String config = key[0] + " " + key[1];
            if (best != null && fp != null) {
                double gap = 100 * (fp.finalTop1() - best.finalTop1());
                findings.add(String.format("%s: the best scheme (%s, %.2f%%) is %s the fp32 student (%.2f%%): %s.",
                        config, schemeName(best.scheme()), 100 * best.finalTop1(),
                        gap <= 0 ? String.format("%.2f points above", -gap) : String.format("%.2f points below", gap),
                        100 * fp.finalTop1(), gap <= 1.0 ? "within 1 point, as the paper finds"
                                : "NOT within 1 point of full precision"));
                if (none != null) {
                    double lost = fp.finalTop1() - none.finalTop1();
                    if (lost > 0) {
                        findings.add(String.format("%s: low precision alone lost %.2f points; the best scheme recovers "
                                + "%.0f%% of them.", config, 100 * lost,
                                100 * (best.finalTop1() - none.finalTop1()) / lost));
                    } else {
                        findings.add(String.format("%s: low precision alone lost nothing (%.2f points vs fp32), "
                                + "so there was nothing for distillation to recover.", config, -100 * lost));
                    }
                }
            }
            if (none != null && (winners.size() + losers.size()) > 0) {
                findings.add(config + ": " + (losers.isEmpty() ? "every scheme run (" + String.join(", ", winners)
                        + ") beats the no-distillation student."
                        : "scheme" + (losers.size() > 1 ? "s " : " ") + String.join(", ", losers)
                        + " did NOT beat the no-distillation student" + (winners.isEmpty() ? "." : "; "
                        + String.join(", ", winners) + " did.")));
                // how much the last epoch alone moved these runs: differences below that are not evidence
                double swing = 0;
                List<String> small = new ArrayList<>();
                for (String scheme : SCHEMES) {
                    StepResult r = complete(row.getValue().get(scheme));
                    if (r != null && r.top1().length > 1) {
                        swing = Math.max(swing, Math.abs(r.finalTop1() - r.top1()[r.top1().length - 2]));
                    }
                    if (r != null && !scheme.equals("NONE")) {
                        double gain = r.finalTop1() - none.finalTop1();
                        if (Math.abs(gain) < LAST_EPOCH_NOTE_POINTS / 100.0) {
                            small.add(schemeName(scheme) + " " + signed(gain));
                        }
                    }
                }
                if (!small.isEmpty() && swing > 0) {
                    findings.add(String.format("%s: the differences %s are smaller than the change of test top-1 over the "
                            + "last epoch of these runs (up to %.2f points): within noise, not evidence either way.",
                            config, String.join(", ", small), 100 * swing));
                }
            }
        }
        md.append('\n');

        md.append("## Model sizes\n\n");
        md.append("Trainable parameters at 32 bits, and at the model's precision (2 bits per ternary weight, k bits per "
                + "k-bit weight, one 32-bit scale per quantized layer; first and last layers and batch norm at 32 bits).\n\n");
        md.append("| model | precision | fp32 size | size at precision | compression |\n|---|---|---|---|---|\n");
        Set<String> sized = new LinkedHashSet<>();
        for (StepResult r : results.values()) {
            if (r.size() != null && sized.add(r.model() + "|" + r.precision())) {
                ModelSize s = r.size();
                md.append(String.format("| %s | %s | %,d B | %,d B | %.1fx |%n", r.model(), r.precision(), s.fp32Bytes(),
                        s.lowPrecisionBytes(), s.compression()));
            }
        }
        md.append('\n');

        md.append("## Convergence: epochs until test top-1 stays within ").append(WITHIN_POINTS)
                .append(" points of its final value\n\n");
        md.append("Scheme C starts from the trained fp32 student, whose epochs are not counted here.\n\n");
        md.append("| step | model | precision | scheme | teacher | epochs run | final top-1 | epochs to within 0.5 | "
                + "test top-1 after each epoch | training time |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (StepResult r : results.values()) {
            StringBuilder curve = new StringBuilder();
            for (double v : r.top1()) {
                curve.append(curve.length() == 0 ? "" : " ").append(String.format("%.1f", 100 * v));
            }
            md.append(String.format("| %s | %s | %s | %s | %s | %d of %d | %s | %s | %s | %.0f s |%n", r.step(), r.model(),
                    r.precision(), schemeName(r.scheme()), r.scheme().equals("NONE") ? "" : r.teacherModel(),
                    r.top1().length, r.epochsPlanned(), pct(r.finalTop1()),
                    r.complete() ? String.valueOf(r.epochsToWithin(WITHIN_POINTS)) : "", curve, r.trainSeconds()));
        }
        md.append('\n');
        convergenceFindings(table, findings);

        variants(md, findings, mainTeacher, table);
        sweep(md, findings, fp);

        md.append("## The paper's claims against these numbers\n\n");
        if (findings.isEmpty()) {
            md.append("No complete comparisons yet.\n");
        }
        for (String f : findings) {
            md.append("- ").append(f).append('\n');
        }
        md.append('\n');

        md.append("## Reproducibility\n\n");
        md.append("Every step is a function of its recipe, flags and seed: the training subset (stratified), the data "
                + "order of each epoch and the initial weights all come from the seed. ");
        StepResult original = study.repeatStep() == null ? null : done(study.repeatStep());
        if (original != null && repeat != null && repeat.complete()) {
            double worst = 0;
            for (int e = 0; e < Math.min(original.top1().length, repeat.top1().length); e++) {
                worst = Math.max(worst, Math.abs(original.top1()[e] - repeat.top1()[e]));
            }
            md.append(String.format("Check: step %s was run a second time from scratch (%s, same command, new folder): %s. ",
                    study.repeatStep(), Study.repeatFolder(study.repeatStep()), worst == 0
                            && original.top1().length == repeat.top1().length
                            ? "its test top-1 after every epoch was identical to the last digit"
                            : String.format("its test top-1 differed by up to %.2f points between runs", 100 * worst)));
        } else if (study.repeatStep() != null) {
            md.append("The repeat of step ").append(study.repeatStep()).append(" (a determinism check) has not run yet. ");
        }
        md.append("Multi-threaded CPU reductions (oneDNN, OpenMP) may add in a different order on another machine or "
                + "thread count, which can move the last digits and, through training, more. No other seed was tried: "
                + "the per-epoch column above shows how much test top-1 still moves between epochs, the better guide to "
                + "which differences between schemes mean anything.\n\n");
        md.append("## Exact commands\n\n```\n");
        List<String> names = new ArrayList<>(study.steps().stream().map(Study.Step::name).toList());
        if (study.repeatStep() != null) {
            names.add(Study.repeatFolder(study.repeatStep()));
        }
        for (String name : names) {
            String c = commands.get(name);
            if (c != null) {
                md.append(c).append('\n');
            }
        }
        md.append("```\n");
        return md.toString();
    }

    /** Rows "model|precision" (main-teacher runs only) to scheme to result, in step order. */
    private Map<String, Map<String, StepResult>> mainTable(String mainTeacher) {
        Map<String, Map<String, StepResult>> table = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            StepResult r = results.get(s.name());
            if (r == null || s.name().equals(study.teacherStep())) {
                continue;
            }
            boolean withMainTeacher = r.scheme().equals("NONE") || r.scheme().equals("A")
                    || r.teacherModel().equals(mainTeacher);
            if (!withMainTeacher || (!r.scheme().equals("NONE") && r.temperature() != mainTemperature)) {
                continue;
            }
            if (r.scheme().equals("NONE") && r.fullPrecision() && !s.name().equals(study.fpStudentStep())) {
                continue; // another full-precision model (a sweep teacher)
            }
            table.computeIfAbsent(r.model() + "|" + r.precision(), k -> new LinkedHashMap<>())
                    .putIfAbsent(r.scheme(), r);
        }
        return table;
    }

    private void convergenceFindings(Map<String, Map<String, StepResult>> table, List<String> findings) {
        for (Map.Entry<String, Map<String, StepResult>> row : table.entrySet()) {
            String[] key = row.getKey().split("\\|");
            StepResult b = complete(row.getValue().get("B"));
            if (key[1].equals("fp32") || b == null) {
                continue;
            }
            List<String> others = new ArrayList<>();
            for (String scheme : List.of("NONE", "A")) {
                StepResult r = complete(row.getValue().get(scheme));
                if (r != null) {
                    others.add(String.format("%s %d", schemeName(scheme), r.epochsToWithin(WITHIN_POINTS)));
                }
            }
            StepResult a = complete(row.getValue().get("A"));
            findings.add(String.format("%s %s: scheme B came within %.1f points of its final accuracy after %d epochs "
                            + "(%s)%s.", key[0], key[1], WITHIN_POINTS, b.epochsToWithin(WITHIN_POINTS),
                    others.isEmpty() ? "nothing to compare" : String.join(", ", others),
                    a == null ? "" : String.format("; its final top-1 is %s scheme A's (%s vs %s)",
                            b.finalTop1() >= a.finalTop1() - 0.005 ? "comparable to" : "below",
                            pct(b.finalTop1()), pct(a.finalTop1()))));
        }
    }

    /** Distillation runs with the main teacher at another temperature than the main table's. */
    private void variants(StringBuilder md, List<String> findings, String mainTeacher,
                          Map<String, Map<String, StepResult>> table) {
        List<StepResult> variants = results.values().stream().filter(r -> r.complete() && !r.scheme().equals("NONE")
                && r.temperature() != mainTemperature && (r.scheme().equals("A") || r.teacherModel().equals(mainTeacher)))
                .toList();
        if (variants.isEmpty()) {
            return;
        }
        md.append("## Variants: another distillation temperature\n\n");
        md.append("| step | student | precision | scheme | teacher | T | top-1 | gain over no distillation | vs the same "
                + "scheme at T=").append(num(mainTemperature)).append(" |\n|---|---|---|---|---|---|---|---|---|\n");
        for (StepResult r : variants) {
            Map<String, StepResult> row = table.getOrDefault(r.model() + "|" + r.precision(), Map.of());
            StepResult none = complete(row.get("NONE"));
            StepResult same = complete(row.get(r.scheme()));
            md.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.step(), r.model(), r.precision(),
                    r.scheme(), r.teacherModel(), num(r.temperature()), pct(r.finalTop1()),
                    none == null ? "" : signed(r.finalTop1() - none.finalTop1()),
                    same == null ? "" : signed(r.finalTop1() - same.finalTop1())));
            if (none != null) {
                findings.add(String.format("%s %s, scheme %s at T=%s: %s, %s points over the no-distillation student%s.",
                        r.model(), r.precision(), r.scheme(), num(r.temperature()), pct(r.finalTop1()),
                        signed(r.finalTop1() - none.finalTop1()), same == null ? "" : String.format(
                                " (%s points vs T=%s)", signed(r.finalTop1() - same.finalTop1()), num(mainTemperature))));
            }
        }
        md.append('\n');
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Scheme-B runs of one student and precision with different teachers: the teacher-size sweep. */
    private void sweep(StringBuilder md, List<String> findings, StepResult fp) {
        Map<String, List<StepResult>> byStudent = new LinkedHashMap<>();
        for (StepResult r : results.values()) {
            if (r.scheme().equals("B") && r.complete()) {
                byStudent.computeIfAbsent(r.model() + " " + r.precision() + ", scheme B, T=" + num(r.temperature()),
                        k -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<StepResult>> e : byStudent.entrySet()) {
            if (e.getValue().stream().map(StepResult::teacherModel).distinct().count() < 2) {
                continue;
            }
            StepResult any = e.getValue().get(0);
            StepResult none = results.values().stream().filter(r -> r.complete() && r.scheme().equals("NONE")
                        && r.model().equals(any.model()) && r.precision().equals(any.precision())).findFirst().orElse(null);
            md.append("## Teacher-size sweep: ").append(e.getKey()).append("\n\n");
            md.append("| teacher | teacher top-1 | student top-1 | gain over no distillation |\n|---|---|---|---|\n");
            List<String> order = new ArrayList<>();
            for (StepResult r : e.getValue()) {
                StepResult t = r.teacherFolder() != null && done(r.teacherFolder()) != null ? done(r.teacherFolder())
                        : results.values().stream().filter(x -> x.complete() && x.scheme().equals("NONE")
                        && x.fullPrecision() && x.model().equals(r.teacherModel())).findFirst().orElse(null);
                md.append(String.format("| %s | %s | %s | %s |%n", r.teacherModel(), t == null ? "" : pct(t.finalTop1()),
                        pct(r.finalTop1()), none == null ? "" : signed(r.finalTop1() - none.finalTop1())));
                order.add(String.format("%s %s", r.teacherModel(), pct(r.finalTop1())));
            }
            md.append('\n');
            findings.add("Teacher sweep for " + e.getKey() + ": " + String.join(", ", order) + ".");
        }
    }

    private static StepResult complete(StepResult r) {
        return r != null && r.complete() ? r : null;
    }

    private static String accuracy(StepResult r) {
        String v = String.format("%.2f%% (%.2f)", 100 * r.finalTop1(), 100 * (1 - r.finalTop1()));
        return r.complete() ? v : v + ", after " + r.top1().length + " of " + r.epochsPlanned() + " epochs";
    }

    private static String pct(double v) {
        return String.format("%.2f%%", 100 * v);
    }

    private static String signed(double v) {
        return String.format("%+.2f", 100 * v);
    }

    static String schemeName(String scheme) {
        return scheme.equals("NONE") ? "none" : scheme;
    }
}
