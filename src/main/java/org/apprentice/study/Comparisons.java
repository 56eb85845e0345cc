package org.apprentice.study;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.kd.Scheme;

/**
 * The comparisons a study's results support, as typed values: the main table (one row per student model and
 * precision, one result per scheme, all with the main teacher at the main temperature), the gains over the
 * no-distillation student, the temperature variants, the teacher-size sweeps and the repeat check.
 * {@link StudyFindings} words them; {@link StudyReport} lays them out as Markdown.
 */
final class Comparisons {
    /** A student configuration: model label and precision label. */
    record Config(String model, String precision) {
        boolean fullPrecision() {
            return precision.equals("fp32");
        }

        @Override
        public String toString() {
            return model + " " + precision;
        }
    }

    /** One row of the main table: the results of one configuration, by scheme (complete or not). */
    record Row(Config config, Map<Scheme, StepResult> byScheme) {
        /** The complete result of {@code scheme}, or null. */
        StepResult complete(Scheme scheme) {
            return Comparisons.complete(byScheme.get(scheme));
        }
    }

    /**
     * A low-precision row against its no-distillation student: the best complete scheme and which schemes
     * beat or did not beat the control (names as flags: A, B, C).
     */
    record Gain(Row row, StepResult none, StepResult best, List<String> winners, List<String> losers) {
    }

    /** A distillation run at another temperature than the main table's, with its row's control and same-scheme run. */
    record Variant(StepResult result, StepResult none, StepResult sameScheme) {
    }

    /** Scheme-B runs of one student and precision with different teachers, and each teacher's own result. */
    record Sweep(String title, List<StepResult> runs, List<StepResult> teachers, StepResult none) {
    }

    /** The determinism check: the worst per-epoch difference of test top-1 between a step and its repeat. */
    record Repeat(String step, double worst, boolean identical) {
    }

    static final Scheme[] DISTILLATION = {Scheme.A, Scheme.B, Scheme.C};

    private final Study study;
    private final Map<String, StepResult> results = new LinkedHashMap<>();
    private final StepResult repeat;
    /** The temperature of the study's first distillation step: the main table's; other temperatures are variants. */
    private final double mainTemperature;

    /** @param results each step's result by step name (null or absent: not run yet), and the repeat's */
    Comparisons(Study study, Map<String, StepResult> results) {
        this.study = study;
        this.repeat = study.repeatStep() == null ? null : results.get(Study.repeatFolder(study.repeatStep()));
        for (Study.Step s : study.steps()) {
            StepResult r = results.get(s.name());
            if (r != null) {
                this.results.put(s.name(), r);
            }
        }
        this.mainTemperature = this.results.values().stream().filter(r -> r.scheme() != Scheme.NONE)
                .mapToDouble(StepResult::temperature).findFirst().orElse(1.0);
    }

    /** Reads every step's folder under {@code folder}. */
    static Map<String, StepResult> read(Study study, Path folder) {
        Map<String, StepResult> found = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            found.put(s.name(), StepResult.read(folder.resolve(s.name())));
        }
        if (study.repeatStep() != null) {
            String name = Study.repeatFolder(study.repeatStep());
            found.put(name, StepResult.read(folder.resolve(name)));
        }
        return found;
    }

    Study study() {
        return study;
    }

    double mainTemperature() {
        return mainTemperature;
    }

    /** Every step's result that has at least one epoch, in step order. */
    List<StepResult> results() {
        return List.copyOf(results.values());
    }

    static StepResult complete(StepResult r) {
        return r != null && r.complete() ? r : null;
    }

    /** The complete result of a step, or null. */
    StepResult done(String step) {
        return complete(results.get(step));
    }

    StepResult teacher() {
        return done(study.teacherStep());
    }

    StepResult fpStudent() {
        return done(study.fpStudentStep());
    }

    long stepsComplete() {
        return study.steps().stream().filter(s -> done(s.name()) != null).count();
    }

    /** The main table's rows (main-teacher runs at the main temperature), in step order. */
    List<Row> rows() {
        String mainTeacher = teacher() != null ? teacher().model() : null;
        Map<Config, Map<Scheme, StepResult>> table = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            StepResult r = results.get(s.name());
            if (r == null || s.name().equals(study.teacherStep())) {
                continue;
            }
            boolean withMainTeacher = r.scheme() == Scheme.NONE || r.scheme() == Scheme.A
                    || r.teacherModel().equals(mainTeacher);
            if (!withMainTeacher || (r.scheme() != Scheme.NONE && r.temperature() != mainTemperature)) {
                continue;
            }
            if (r.scheme() == Scheme.NONE && r.fullPrecision() && !s.name().equals(study.fpStudentStep())) {
                continue; // another full-precision model (a sweep teacher)
            }
            table.computeIfAbsent(new Config(r.model(), r.precision()), k -> new EnumMap<>(Scheme.class))
                    .putIfAbsent(r.scheme(), r);
        }
        List<Row> rows = new ArrayList<>();
        table.forEach((config, byScheme) -> rows.add(new Row(config, byScheme)));
        return rows;
    }

    /** The low-precision rows against their no-distillation students. */
    List<Gain> gains() {
        List<Gain> gains = new ArrayList<>();
        for (Row row : rows()) {
            if (row.config().fullPrecision()) {
                continue;
            }
            StepResult none = row.complete(Scheme.NONE);
            StepResult best = null;
            List<String> winners = new ArrayList<>();
            List<String> losers = new ArrayList<>();
            for (Scheme scheme : DISTILLATION) {
                StepResult r = row.complete(scheme);
                if (r == null) {
                    continue;
                }
                if (best == null || r.finalTop1() > best.finalTop1()) {
                    best = r;
                }
                if (none != null) {
                    (r.finalTop1() > none.finalTop1() ? winners : losers).add(scheme.flag());
                }
            }
            gains.add(new Gain(row, none, best, winners, losers));
        }
        return gains;
    }

    /** The largest change of test top-1 over the last epoch among a row's complete runs, in [0, 1]. */
    static double lastEpochSwing(Row row) {
        double swing = 0;
        for (Scheme scheme : Scheme.values()) {
            StepResult r = row.complete(scheme);
            if (r != null && r.top1().length > 1) {
                swing = Math.max(swing, Math.abs(r.finalTop1() - r.top1()[r.top1().length - 2]));
            }
        }
        return swing;
    }

    /** Distillation runs with the main teacher at another temperature than the main table's. */
    List<Variant> variants() {
        String mainTeacher = teacher() != null ? teacher().model() : null;
        Map<Config, Row> rows = new LinkedHashMap<>();
        rows().forEach(r -> rows.put(r.config(), r));
        List<Variant> variants = new ArrayList<>();
        for (StepResult r : results.values()) {
            boolean variant = r.complete() && r.scheme() != Scheme.NONE && r.temperature() != mainTemperature
                    && (r.scheme() == Scheme.A || r.teacherModel().equals(mainTeacher));
            if (variant) {
                Row row = rows.get(new Config(r.model(), r.precision()));
                variants.add(new Variant(r, row == null ? null : row.complete(Scheme.NONE),
                        row == null ? null : row.complete(r.scheme())));
            }
        }
        return variants;
    }

    /** Scheme-B runs of one student, precision and temperature with two or more teachers: the teacher sweeps. */
    List<Sweep> sweeps() {
        Map<String, List<StepResult>> byStudent = new LinkedHashMap<>();
        for (StepResult r : results.values()) {
            if (r.scheme() == Scheme.B && r.complete()) {
                byStudent.computeIfAbsent(r.model() + " " + r.precision() + ", scheme B, T=" + num(r.temperature()),
                        k -> new ArrayList<>()).add(r);
            }
        }
        List<Sweep> sweeps = new ArrayList<>();
        for (Map.Entry<String, List<StepResult>> e : byStudent.entrySet()) {
            if (e.getValue().stream().map(StepResult::teacherModel).distinct().count() < 2) {
                continue;
            }
            StepResult any = e.getValue().get(0);
            StepResult none = results.values().stream().filter(r -> r.complete() && r.scheme() == Scheme.NONE
                    && r.model().equals(any.model()) && r.precision().equals(any.precision())).findFirst().orElse(null);
            List<StepResult> teachers = new ArrayList<>();
            for (StepResult r : e.getValue()) {
                teachers.add(r.teacherFolder() != null && done(r.teacherFolder()) != null ? done(r.teacherFolder())
                        : results.values().stream().filter(x -> x.complete() && x.scheme() == Scheme.NONE
                        && x.fullPrecision() && x.model().equals(r.teacherModel())).findFirst().orElse(null));
            }
            sweeps.add(new Sweep(e.getKey(), e.getValue(), teachers, none));
        }
        return sweeps;
    }

    /** The repeat check, or null when the study has no repeat or it has not finished. */
    Repeat repeat() {
        StepResult original = study.repeatStep() == null ? null : done(study.repeatStep());
        if (original == null || repeat == null || !repeat.complete()) {
            return null;
        }
        double worst = 0;
        for (int e = 0; e < Math.min(original.top1().length, repeat.top1().length); e++) {
            worst = Math.max(worst, Math.abs(original.top1()[e] - repeat.top1()[e]));
        }
        return new Repeat(study.repeatStep(), worst, worst == 0 && original.top1().length == repeat.top1().length);
    }

    /** A temperature as the study writes it: "4", "1.5". */
    static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
