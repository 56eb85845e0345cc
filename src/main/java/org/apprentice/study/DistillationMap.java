package org.apprentice.study;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apprentice.study.Comparisons.Config;
import org.apprentice.study.StepResult.Network;

/**
 * A study that maps where the teacher helps ({@code report = map}): every complete run of the study's student placed by
 * what its settings say (training images, student and precision, scheme, temperature, teacher; never by its step
 * name), cells of runs that differ only in their seeds, and the comparisons the map reports, each a difference of
 * means paired by seed with its 95% interval, corrected for the number of comparisons in its family (Benjamini and
 * Hochberg's false discovery rate decides a finding; Holm's family-wise correction is given beside it).
 * The main family fixes the training subset (the full-precision student's subset seed) and pairs by initialisation
 * seed; the family across subsets fixes the initialisation seed and pairs by subset seed.
 */
final class DistillationMap {
    /** The fewest pairs a finding rests on. */
    static final int FINDING_PAIRS = 3;

    /**
     * A run's teacher: its network, and the training images it learned from (0 where the study did not train it, e.g.
     * a file from elsewhere).
     */
    record Teacher(Network network, int images) {
        /** "resnet56", or "resnet32 on 60,000 images" when it learned from other images than its student. */
        String label(int studentImages) {
            return network.label() + (images == studentImages || images == 0 ? ""
                    : String.format(java.util.Locale.ROOT, " on %,d images", images));
        }
    }

    /** Where a run sits on the map, its seeds aside. {@code teacher} is null, and T 1, for the controls. */
    record Place(int images, Config student, Column arm, double temperature, Teacher teacher) {
        /** {@code r}'s place; its teacher's training images are those of the study step that trained it. */
        static Place of(StepResult r, Map<String, StepResult> results) {
            Teacher t = null;
            if (r.teacher() != null) {
                StepResult trained = r.teacherFolder() == null ? null : results.get(r.teacherFolder());
                t = new Teacher(r.teacher(), trained == null ? 0 : trained.settings().data().trainSubset());
            }
            return new Place(r.settings().data().trainSubset(), Config.of(r), Column.of(r), r.temperature(), t);
        }

        /** Whether its teacher is the study's main one, trained on the same images. */
        boolean mainTeacher(Network main) {
            return teacher != null && teacher.network().equals(main) && teacher.images() == images;
        }

        /** The run without a teacher this one is measured against: no distillation for B, C's control for C. */
        Place control() {
            return new Place(images, student, arm.control(), 1.0, null);
        }

        Place with(double t, Teacher other) {
            return new Place(images, student, arm, t, other);
        }

        boolean hasTeacher() {
            return teacher != null;
        }

        /** "w2a4 lsq/lsq", "w2a4 fixed", "fp32". */
        String studentLabel() {
            String p = student.precision();
            return student.fullPrecision() || p.contains(" ") ? p : p + " fixed";
        }

        /** "B, T = 4", "C's control", "B, T = 1, resnet56" (the teacher named when not {@code main}). */
        String armLabel(Network main) {
            if (!hasTeacher()) {
                return arm.flag().equals("none") ? "no teacher" : arm.flag();
            }
            return arm.name() + ", T = " + StudyReport.num(temperature)
                    + (mainTeacher(main) ? "" : ", " + teacher.label(images));
        }
    }

    /** One complete run: its place, its two seeds, and its final test top-1 in [0, 1]. */
    record Run(Place place, long subsetSeed, long seed, double top1, StepResult result) {
    }

    /** The families of comparisons; the corrections run within each. */
    enum Family {
        TEACHER("the teacher's gain: scheme B against no distillation, scheme C against its control"),
        TEMPERATURE("T = 4 against T = 1, the same scheme and teacher"),
        OTHER_TEACHER("a stronger teacher (a deeper one, or one trained on more images) against the main one, the same "
                + "scheme and T"),
        SUBSETS("the teacher's gain across training subsets (one initialisation seed, paired by subset seed)");

        private final String meaning;

        Family(String meaning) {
            this.meaning = meaning;
        }

        String meaning() {
            return meaning;
        }
    }

    /**
     * One comparison: {@code cell} against {@code control}, their runs paired by {@code pairedBy} seed; the gain in
     * [0, 1] with its 95% interval and p, and p corrected within the family: Benjamini and Hochberg's q (a false
     * discovery rate) and Holm's p (the stricter family-wise error).
     */
    record Gain(Family family, Place cell, Place control, SeedStatistics.Interval gain, double q, double holm,
                String pairedBy) {
        /** A finding: at least {@link #FINDING_PAIRS} pairs, and q below the level. */
        boolean finding() {
            return gain.n() >= FINDING_PAIRS && q < SeedStatistics.ALPHA;
        }
    }

    private final List<Run> runs;
    private final List<StepResult> teachers;
    private final long mainSubsetSeed;
    private final long mainSeed;
    private final Network mainTeacher;
    private final int planned;

    private DistillationMap(List<Run> runs, List<StepResult> teachers, long mainSubsetSeed, long mainSeed,
                            Network mainTeacher, int planned) {
        this.runs = runs;
        this.teachers = teachers;
        this.mainSubsetSeed = mainSubsetSeed;
        this.mainSeed = mainSeed;
        this.mainTeacher = mainTeacher;
        this.planned = planned;
    }

    /**
     * The map of {@code study} from its steps' results (null: not run yet): the runs of the full-precision student's
     * network (the others are the teachers), the main subset and seed those of the full-precision student's step.
     */
    static DistillationMap of(Study study, Map<String, StepResult> results) {
        StepResult fp = study.steps().stream().map(s -> results.get(s.name()))
                .filter(r -> r != null && r.step().equals(study.fpStudentStep())).findFirst().orElse(null);
        List<StepResult> complete = study.steps().stream().map(s -> results.get(s.name()))
                .filter(r -> r != null && r.complete()).toList();
        Network student = fp != null ? fp.student() : null;
        List<Run> runs = new ArrayList<>();
        List<StepResult> teachers = new ArrayList<>();
        for (StepResult r : complete) {
            if (student == null || r.student().equals(student)) {
                runs.add(new Run(Place.of(r, results), r.settings().data().subsetSeed(), r.settings().optimisation().seed(),
                        r.finalTop1(), r));
            } else {
                teachers.add(r);
            }
        }
        StepResult teacher = results.get(study.teacherStep());
        Network main = teacher != null ? teacher.student() : null;
        return new DistillationMap(List.copyOf(runs), List.copyOf(teachers),
                fp != null ? fp.settings().data().subsetSeed() : 0, fp != null ? fp.settings().optimisation().seed() : 0,
                main, study.steps().size());
    }

    List<Run> runs() {
        return runs;
    }

    /** The trained teachers (complete steps of other networks). */
    List<StepResult> teachers() {
        return teachers;
    }

    long mainSubsetSeed() {
        return mainSubsetSeed;
    }

    Network mainTeacher() {
        return mainTeacher;
    }

    /** The study's steps, all of them, run or not. */
    int planned() {
        return planned;
    }

    /** The runs on the main subset, by place, in the order they ran. */
    Map<Place, List<Run>> cells() {
        Map<Place, List<Run>> cells = new LinkedHashMap<>();
        runs.stream().filter(r -> r.subsetSeed() == mainSubsetSeed)
                .forEach(r -> cells.computeIfAbsent(r.place(), p -> new ArrayList<>()).add(r));
        return cells;
    }

    /** Every comparison the runs so far allow, by family, each family corrected for its number of comparisons. */
    Map<Family, List<Gain>> gains() {
        Map<Family, List<Gain>> all = new LinkedHashMap<>();
        Map<Place, List<Run>> main = cells();
        Map<Place, List<Run>> acrossSubsets = new LinkedHashMap<>();
        runs.stream().filter(r -> r.seed() == mainSeed)
                .forEach(r -> acrossSubsets.computeIfAbsent(r.place(), p -> new ArrayList<>()).add(r));
        List<Place> withTeacher = main.keySet().stream().filter(Place::hasTeacher).toList();
        all.put(Family.TEACHER, family(Family.TEACHER, main, withTeacher, Place::control, Run::seed, "initialisation"));
        all.put(Family.TEMPERATURE, family(Family.TEMPERATURE, main,
                withTeacher.stream().filter(p -> p.temperature() != 1).toList(), p -> p.with(1, p.teacher()), Run::seed,
                "initialisation"));
        all.put(Family.OTHER_TEACHER, family(Family.OTHER_TEACHER, main,
                withTeacher.stream().filter(p -> !p.mainTeacher(mainTeacher)).toList(),
                p -> p.with(p.temperature(), new Teacher(mainTeacher, p.images())), Run::seed, "initialisation"));
        List<Place> varied = acrossSubsets.entrySet().stream().filter(e -> e.getKey().hasTeacher()
                && e.getValue().stream().map(Run::subsetSeed).distinct().count() > 1).map(Map.Entry::getKey).toList();
        all.put(Family.SUBSETS, family(Family.SUBSETS, acrossSubsets, varied, Place::control, Run::subsetSeed, "subset"));
        return all;
    }

    /** The comparisons of {@code cells} against their controls that have runs, corrected together. */
    private static List<Gain> family(Family family, Map<Place, List<Run>> cells, List<Place> compared,
                                     Function<Place, Place> controlOf, ToLongFunction<Run> pairKey, String pairedBy) {
        List<Place[]> pairs = new ArrayList<>();
        List<SeedStatistics.Interval> intervals = new ArrayList<>();
        for (Place p : compared) {
            Place control = controlOf.apply(p);
            double[] d = differences(cells.get(p), cells.get(control), pairKey);
            if (d.length > 0) {
                pairs.add(new Place[] {p, control});
                intervals.add(SeedStatistics.paired(d));
            }
        }
        double[] p = intervals.stream().mapToDouble(SeedStatistics.Interval::p).toArray();
        double[] q = SeedStatistics.benjaminiHochberg(p);
        double[] holm = SeedStatistics.holm(p);
        List<Gain> gains = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            gains.add(new Gain(family, pairs.get(i)[0], pairs.get(i)[1], intervals.get(i), q[i], holm[i], pairedBy));
        }
        return gains;
    }

    /** Cell minus control, for each seed both ran (by {@code key}), in seed order; empty when none is shared. */
    private static double[] differences(List<Run> cell, List<Run> control, ToLongFunction<Run> key) {
        if (cell == null || control == null) {
            return new double[0];
        }
        Map<Long, Double> a = new TreeMap<>();
        cell.forEach(r -> a.put(key.applyAsLong(r), r.top1()));
        Map<Long, Double> b = new TreeMap<>();
        control.forEach(r -> b.put(key.applyAsLong(r), r.top1()));
        return a.entrySet().stream().filter(e -> b.containsKey(e.getKey()))
                .mapToDouble(e -> e.getValue() - b.get(e.getKey())).toArray();
    }

    /**
     * The teacher's largest clear gain: among the main family's findings with a positive gain, the one whose interval
     * lies furthest above 0 (its lower bound); null when the map has no such finding.
     */
    Gain strongest() {
        return gains().get(Family.TEACHER).stream().filter(g -> g.finding() && g.gain().mean() > 0)
                .max(Comparator.comparingDouble(g -> g.gain().low())).orElse(null);
    }

    /**
     * The study steps of {@code g}'s cell and control at the first seed both ran (on the main subset, as the gain
     * pairs them): {cell's step, control's step}.
     */
    String[] steps(Gain g) {
        Map<Place, List<Run>> cells = cells();
        for (Run r : cells.get(g.cell()).stream().sorted(Comparator.comparingLong(Run::seed)).toList()) {
            for (Run c : cells.get(g.control())) {
                if (c.seed() == r.seed()) {
                    return new String[] {r.result().step(), c.result().step()};
                }
            }
        }
        throw new IllegalStateException("a gain with no pair: " + g);
    }

    /** The training images of the map, ascending. */
    List<Integer> sizes() {
        return runs.stream().map(r -> r.place().images()).distinct().sorted().toList();
    }

    /** The students of the map, in the order they first ran. */
    List<Config> students() {
        return runs.stream().map(r -> r.place().student()).distinct().toList();
    }

    /** A fraction as signed points with two decimals, "+0.00" for anything that rounds to 0 (never "-0.00"). */
    static String points(double fraction) {
        return String.format(java.util.Locale.ROOT, "%+.2f", Math.round(10_000 * fraction) / 100.0 + 0.0);
    }
}
