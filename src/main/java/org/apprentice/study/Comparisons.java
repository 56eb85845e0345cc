package org.apprentice.study;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.kd.Scheme;
import org.apprentice.model.PrecisionSpec;

/**
 * The comparisons a study's results support, as typed values: the main table (one row per student model and
 * precision, one result per scheme, all with the main teacher at the main temperature), the gains over the
 * no-distillation student, the temperature variants, the teacher-size sweeps, the repeat check, and the reference
 * figures against our cells with the trials run to reach them (which no other comparison uses).
 * {@link StudyFindings} words them; {@link StudyReport} lays them out as Markdown.
 */
final class Comparisons {
    /** A student configuration, as runs are matched: its network and its precision (typed, never by label). */
    record Config(StepResult.Network network, PrecisionSpec spec) {
        static Config of(StepResult r) {
            return new Config(r.student(), r.settings().student().precision());
        }

        /** The model's label in the tables. */
        String model() {
            return network.label();
        }

        /** The precision's label in the tables. */
        String precision() {
            return spec.label();
        }

        /** Full precision in every layer (from the spec, which a label alone does not say for quantized overrides). */
        boolean fullPrecision() {
            return spec.isFullPrecision();
        }

        @Override
        public String toString() {
            boolean overridden = !fullPrecision() && precision().equals("fp32");
            return model() + " " + precision() + (overridden ? " (quantized overrides)" : "");
        }
    }

    /** One row of the main table: the first result of one configuration, by column (complete or not). */
    record Row(Config config, Map<Column, StepResult> byColumn) {
        /** The complete result of {@code column}, or null. */
        StepResult complete(Column column) {
            return Comparisons.complete(byColumn.get(column));
        }
    }

    /** The complete runs of one configuration and column, one per seed: their mean and spread of final top-1. */
    record Cell(Config config, Column column, List<StepResult> runs) {
        int n() {
            return runs.size();
        }

        double[] finals() {
            return runs.stream().mapToDouble(StepResult::finalTop1).toArray();
        }

        double mean() {
            return SeedStatistics.mean(finals());
        }

        /** The sample standard deviation (n - 1), NaN for a single run. */
        double sd() {
            return SeedStatistics.sd(finals());
        }
    }

    /**
     * A column's gain over its control (A and B over no distillation, C over C's control, C also over no
     * distillation) across seeds: the difference of means, the t statistic and its two-sided p-value. When
     * both cells ran the same seeds the runs are paired by seed (a seed fixes the subset, the initialisation
     * and the augmentation draws of both) and a paired t-test is used; otherwise Welch's t-test. A finding
     * only when both cells have at least two seeds and p < 0.05.
     */
    record SeedGain(Cell cell, Cell control, double difference, double t, double p, boolean paired) {
        boolean singleSeed() {
            return cell.n() < 2 || control.n() < 2;
        }

        boolean finding() {
            return !singleSeed() && p < SeedStatistics.ALPHA;
        }

        String test() {
            return singleSeed() ? "" : paired ? "paired t" : "Welch's t";
        }

        static SeedGain of(Cell cell, Cell control) {
            double[][] pairs = bySeed(cell, control);
            SeedStatistics.Test test = pairs != null ? SeedStatistics.compare(pairs[0], pairs[1], true)
                    : SeedStatistics.compare(cell.finals(), control.finals(), false);
            // the difference of the cells' means as the tables show them (the pairs only reorder the runs)
            return new SeedGain(cell, control, cell.mean() - control.mean(), test.t(), test.p(), test.paired());
        }

        /** The two cells' final top-1 in the same seed order, or null when they ran different seeds. */
        private static double[][] bySeed(Cell a, Cell b) {
            Map<Long, Double> x = new java.util.TreeMap<>();
            Map<Long, Double> y = new java.util.TreeMap<>();
            a.runs().forEach(r -> x.put(r.settings().optimisation().seed(), r.finalTop1()));
            b.runs().forEach(r -> y.put(r.settings().optimisation().seed(), r.finalTop1()));
            if (x.size() != a.n() || y.size() != b.n() || !x.keySet().equals(y.keySet())) {
                return null;
            }
            return new double[][] {x.values().stream().mapToDouble(Double::doubleValue).toArray(),
                    y.values().stream().mapToDouble(Double::doubleValue).toArray()};
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
    record Sweep(Config config, double temperature, List<StepResult> runs, List<StepResult> teachers, StepResult none) {
        /** "resnet20 w2a4, scheme B, T=1": what the report calls it. */
        String title() {
            return config.model() + " " + config.precision() + ", scheme B, T=" + StudyReport.num(temperature);
        }
    }

    /**
     * One reference figure against the study: {@code ours} is the mean over the seeds of the step's cell when it
     * belongs to one ({@code seeds} of them), else the step's own final top-1; null {@code result}: not run yet.
     * {@code trials}: the steps run to reach this figure.
     */
    record Against(String step, StepResult result, double reference, double ours, int seeds, List<Trial> trials) {
        /** Ours minus the reference, in top-1 points, at the two decimals the report prints. */
        double difference() {
            return pointsAbove(ours, reference);
        }

        boolean reached() {
            return difference() >= 0;
        }
    }

    /**
     * A step run to bring {@code tried} to its reference figure, with what it changes from that step's flags;
     * null {@code result}: not run yet. Trials are single runs, never seeds of a cell.
     */
    record Trial(String step, String tried, String changes, StepResult result, StepResult triedResult,
                 double reference) {
        /** The trial's final top-1 minus the reference, in points; NaN until it has run. */
        double difference() {
            return result == null ? Double.NaN : pointsAbove(result.finalTop1(), reference);
        }

        /**
         * The trial's final top-1 minus the tried step's at the same seed, in points; NaN until both have run
         * ({@code triedResult} is null where the trial runs another recipe: no like-for-like baseline).
         */
        double change() {
            return result == null || triedResult == null ? Double.NaN
                    : pointsAbove(result.finalTop1(), Math.round(10000 * triedResult.finalTop1()) / 100.0);
        }

        boolean reached() {
            return result != null && difference() >= 0;
        }
    }

    /** {@code top1} (a fraction) minus {@code reference} (percent), in top-1 points at the two decimals the report prints. */
    static double pointsAbove(double top1, double reference) {
        return Math.round(100 * (Math.round(10000 * top1) / 100.0 - reference)) / 100.0;
    }

    /** The determinism check: the worst per-epoch difference of test top-1 between a step and its repeat. */
    record Repeat(String step, double worst, boolean identical) {
    }

    static final Column[] DISTILLATION = {Column.A, Column.B, Column.C};

    private final Study study;
    /** The steps' results, trials to reach a reference figure excepted: every comparison is made from these. */
    private final Map<String, StepResult> results = new LinkedHashMap<>();
    /** The trials' results: reported beside the reference figure they try to reach, and in no comparison. */
    private final Map<String, StepResult> trials = new LinkedHashMap<>();
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
                (study.reference().isTrial(s.name()) ? trials : this.results).put(s.name(), r);
            }
        }
        this.mainTemperature = this.results.values().stream().filter(r -> r.settings().usesTeacher())
                .mapToDouble(StepResult::temperature).findFirst().orElse(1.0);
    }

    Study study() {
        return study;
    }

    double mainTemperature() {
        return mainTemperature;
    }

    /** Every step's result that has at least one epoch, trials included, in step order. */
    List<StepResult> results() {
        return study.steps().stream().map(s -> results.getOrDefault(s.name(), trials.get(s.name())))
                .filter(java.util.Objects::nonNull).toList();
    }

    static StepResult complete(StepResult r) {
        return r != null && r.complete() ? r : null;
    }

    /** The complete result of a step (a trial's too), or null. */
    StepResult done(String step) {
        return complete(results.containsKey(step) ? results.get(step) : trials.get(step));
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

    /** The main table's rows (main-teacher runs at the main temperature, first seed), in step order. */
    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        cells().forEach((config, byColumn) -> {
            Map<Column, StepResult> first = new EnumMap<>(Column.class);
            byColumn.forEach((column, runs) -> first.put(column, runs.get(0)));
            rows.add(new Row(config, first));
        });
        return rows;
    }

    /** Every main-table run (main teacher, main temperature), all seeds, by configuration and column. */
    private Map<Config, Map<Column, List<StepResult>>> cells() {
        StepResult.Network mainTeacher = teacher() != null ? teacher().student() : null;
        Map<Config, Map<Column, List<StepResult>>> table = new LinkedHashMap<>();
        for (Study.Step s : study.steps()) {
            StepResult r = results.get(s.name());
            if (r == null || s.name().equals(study.teacherStep())) {
                continue;
            }
            boolean teacherless = !r.settings().usesTeacher();
            boolean withMainTeacher = teacherless || r.scheme() == Scheme.A || java.util.Objects.equals(r.teacher(), mainTeacher);
            if (!withMainTeacher || (!teacherless && r.temperature() != mainTemperature)) {
                continue;
            }
            if (r.scheme() == Scheme.NONE && r.fullPrecision() && !s.name().equals(study.fpStudentStep())) {
                continue; // another full-precision model (a sweep teacher)
            }
            table.computeIfAbsent(Config.of(r), k -> new EnumMap<>(Column.class))
                    .computeIfAbsent(Column.of(r), k -> new ArrayList<>()).add(r);
        }
        return table;
    }

    /** The low-precision main-table cells of complete runs, all seeds, by configuration and column. */
    Map<Config, Map<Column, Cell>> seedCells() {
        Map<Config, Map<Column, Cell>> cells = new LinkedHashMap<>();
        cells().forEach((config, byColumn) -> byColumn.forEach((column, runs) -> {
            List<StepResult> complete = runs.stream().filter(StepResult::complete).toList();
            if (!config.fullPrecision() && !complete.isEmpty()) {
                cells.computeIfAbsent(config, k -> new EnumMap<>(Column.class))
                        .put(column, new Cell(config, column, complete));
            }
        }));
        return cells;
    }

    /** Each distillation column against its control, across seeds, where both have complete runs. */
    List<SeedGain> seedGains() {
        List<SeedGain> gains = new ArrayList<>();
        seedCells().forEach((config, byColumn) -> {
            for (Column column : DISTILLATION) {
                Cell cell = byColumn.get(column);
                if (cell == null) {
                    continue;
                }
                Cell control = byColumn.get(column.control());
                if (control != null) {
                    gains.add(SeedGain.of(cell, control));
                }
                if (column == Column.C && byColumn.get(Column.NONE) != null) {
                    gains.add(SeedGain.of(cell, byColumn.get(Column.NONE)));
                }
            }
        });
        return gains;
    }

    /** The low-precision rows against their no-distillation students. */
    List<Gain> gains() {
        List<Gain> gains = new ArrayList<>();
        for (Row row : rows()) {
            if (row.config().fullPrecision()) {
                continue;
            }
            StepResult none = row.complete(Column.NONE);
            StepResult best = null;
            List<String> winners = new ArrayList<>();
            List<String> losers = new ArrayList<>();
            for (Column column : DISTILLATION) {
                StepResult r = row.complete(column);
                if (r == null) {
                    continue;
                }
                if (best == null || r.finalTop1() > best.finalTop1()) {
                    best = r;
                }
                if (none != null) {
                    (r.finalTop1() > none.finalTop1() ? winners : losers).add(column.flag());
                }
            }
            gains.add(new Gain(row, none, best, winners, losers));
        }
        return gains;
    }

    /** The largest change of test top-1 over the last epoch among a row's complete runs, in [0, 1]. */
    static double lastEpochSwing(Row row) {
        double swing = 0;
        for (Column column : Column.values()) {
            StepResult r = row.complete(column);
            if (r != null) {
                swing = Math.max(swing, r.lastEpochChange());
            }
        }
        return swing;
    }

    /** Distillation runs with the main teacher at another temperature than the main table's. */
    List<Variant> variants() {
        StepResult.Network mainTeacher = teacher() != null ? teacher().student() : null;
        Map<Config, Row> rows = new LinkedHashMap<>();
        rows().forEach(r -> rows.put(r.config(), r));
        List<Variant> variants = new ArrayList<>();
        for (StepResult r : results.values()) {
            boolean variant = r.complete() && r.settings().usesTeacher() && r.temperature() != mainTemperature
                    && (r.scheme() == Scheme.A || java.util.Objects.equals(r.teacher(), mainTeacher));
            if (variant) {
                Row row = rows.get(Config.of(r));
                variants.add(new Variant(r, row == null ? null : row.complete(Column.NONE),
                        row == null ? null : row.complete(Column.of(r))));
            }
        }
        return variants;
    }

    /** Scheme-B runs of one student, precision and temperature with two or more teachers: the teacher sweeps. */
    List<Sweep> sweeps() {
        record Student(Config config, double temperature) {
        }
        Map<Student, List<StepResult>> byStudent = new LinkedHashMap<>();
        for (StepResult r : results.values()) {
            if (r.scheme() == Scheme.B && r.complete()) {
                byStudent.computeIfAbsent(new Student(Config.of(r), r.temperature()), k -> new ArrayList<>()).add(r);
            }
        }
        List<Sweep> sweeps = new ArrayList<>();
        for (Map.Entry<Student, List<StepResult>> e : byStudent.entrySet()) {
            if (e.getValue().stream().map(StepResult::teacher).distinct().count() < 2) {
                continue;
            }
            Config config = e.getKey().config();
            StepResult none = results.values().stream().filter(r -> r.complete() && r.scheme() == Scheme.NONE
                    && Config.of(r).equals(config)).findFirst().orElse(null);
            List<StepResult> teachers = new ArrayList<>();
            for (StepResult r : e.getValue()) {
                teachers.add(r.teacherFolder() != null && done(r.teacherFolder()) != null ? done(r.teacherFolder())
                        : results.values().stream().filter(x -> x.complete() && x.scheme() == Scheme.NONE
                        && x.fullPrecision() && x.student().equals(r.teacher())).findFirst().orElse(null));
            }
            sweeps.add(new Sweep(config, e.getKey().temperature(), e.getValue(), teachers, none));
        }
        return sweeps;
    }

    /** The study's reference figures, in step order, each against our cell (or step) that it names. */
    List<Against> againstReference() {
        List<Against> rows = new ArrayList<>();
        study.reference().top1().forEach((step, reference) -> {
            StepResult r = done(step);
            Cell cell = r == null ? null : cellOf(r);
            rows.add(new Against(step, r, reference, cell != null ? cell.mean() : r == null ? Double.NaN : r.finalTop1(),
                    cell != null ? cell.n() : r == null ? 0 : 1, trialsOf(step, reference)));
        });
        return rows;
    }

    /** The trial steps that try to bring {@code step} to its reference figure, in step order. */
    private List<Trial> trialsOf(String step, double reference) {
        List<Trial> found = new ArrayList<>();
        study.reference().trials().forEach((trial, tried) -> {
            if (tried.equals(step)) {
                StepResult result = done(trial);
                boolean sameRecipe = study.step(trial).recipe().equals(study.step(tried).recipe());
                found.add(new Trial(trial, tried, study.step(trial).differencesFrom(study.step(tried), study.flags()),
                        result, result == null || !sameRecipe ? null : sameSeed(done(tried), result.settings().optimisation().seed()),
                        reference));
            }
        });
        return found;
    }

    /** The run of {@code r}'s cell at {@code seed} ({@code r} itself when it has no cell), or null. */
    private StepResult sameSeed(StepResult r, long seed) {
        Cell cell = r == null ? null : cellOf(r);
        List<StepResult> runs = cell != null ? cell.runs() : r == null ? List.of() : List.of(r);
        return runs.stream().filter(x -> x.settings().optimisation().seed() == seed).findFirst().orElse(null);
    }

    /** The low-precision cell whose seeds include {@code r}, or null. */
    private Cell cellOf(StepResult r) {
        return seedCells().values().stream().flatMap(m -> m.values().stream())
                .filter(cell -> cell.runs().stream().anyMatch(x -> x.step().equals(r.step()))).findFirst().orElse(null);
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

}
