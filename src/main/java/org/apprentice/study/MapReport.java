package org.apprentice.study;

import static org.apprentice.study.StudyFindings.pct;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apprentice.study.DistillationMap.Family;
import org.apprentice.study.DistillationMap.Gain;
import org.apprentice.study.DistillationMap.Place;
import org.apprentice.study.DistillationMap.Run;

/**
 * The results file of a map study ({@code report = map}): what ran and its budget, the teachers, test top-1 by cell,
 * every comparison with its paired interval and Holm-corrected p by family, the plot of the teacher's gain against
 * training images ({@link GainPlot}), the sentences the findings support, and the exact commands.
 */
final class MapReport implements StudyResults {
    private final Study study;
    private final DistillationMap map;

    MapReport(Study study, Map<String, StepResult> results) {
        this.study = study;
        this.map = DistillationMap.of(study, results);
    }

    static MapReport of(Study study, Path folder) {
        return new MapReport(study, StepResult.readAll(study, folder));
    }

    DistillationMap map() {
        return map;
    }

    /** The plot beside the results file: {@code NAME.png} for {@code NAME.md}. */
    static Path plotOf(Path resultsFile) {
        String name = resultsFile.getFileName().toString().replaceFirst("\\.md$", "");
        return resultsFile.resolveSibling(name + ".png");
    }

    @Override
    public void writeBeside(Path resultsFile) throws IOException {
        if (!map.runs().isEmpty()) {
            GainPlot.write(map, plotOf(resultsFile));
        }
    }

    @Override
    public String render(List<String> header, Map<String, String> commands) {
        StringBuilder md = new StringBuilder("# ").append(study.title()).append("\n\n");
        header.forEach(h -> md.append("- ").append(h).append('\n'));
        md.append('\n');
        budget(md);
        teachers(md);
        accuracies(md);
        Map<Family, List<Gain>> gains = map.gains();
        gains.forEach((family, list) -> gains(md, family, list));
        md.append("## The teacher's gain against training images\n\n");
        md.append(gains.get(Family.TEACHER).isEmpty() ? "No comparison of the teacher's gain has run yet.\n\n"
                : "![The teacher's gain, in points of test top-1, against training images, with 95% intervals]("
                        + study.name() + ".png)\n\n");
        md.append("## What the map supports\n\n");
        MapFindings.of(map, gains).forEach(f -> md.append("- ").append(f).append('\n'));
        md.append('\n');
        commands(md, commands);
        return md.toString();
    }

    /** What ran, its training time, and each size's budget of epochs and optimizer steps. */
    private void budget(StringBuilder md) {
        List<StepResult> done = new ArrayList<>(map.teachers());
        map.runs().forEach(r -> done.add(r.result()));
        double hours = done.stream().mapToDouble(StepResult::trainSeconds).sum() / 3600;
        md.append(String.format(Locale.ROOT, "Steps complete: %d of %d (%.1f hours of training on this machine: "
                + "the steps' own, summed, so steps trained at once with --parallel count each; evaluation and start-up "
                + "excluded)%s.%n%n", done.size(), map.planned(), hours,
                done.size() < map.planned() ? "; run the same command again to continue" : ""));
        md.append("| training images | epochs | optimizer steps (batch) | images seen | runs |\n|---|---|---|---|---|\n");
        for (int images : map.sizes()) {
            List<Run> at = map.runs().stream().filter(r -> r.place().images() == images).toList();
            var o = at.get(0).result().settings().optimisation();
            long steps = o.epochs() * ((images + o.batch() - 1) / o.batch());
            md.append(String.format(Locale.ROOT, "| %,d | %d | %d (%d) | %,d | %d |%n", images, o.epochs(), steps,
                    o.batch(), (long) images * o.epochs(), at.size()));
        }
        md.append('\n');
    }

    private void teachers(StringBuilder md) {
        if (map.teachers().isEmpty()) {
            return;
        }
        md.append("## Teachers (full precision, trained on the same subset)\n\n| teacher | training images | subset seed "
                + "| epochs | test top-1 |\n|---|---|---|---|---|\n");
        for (StepResult t : map.teachers()) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %d | %d | %s |%n", t.model(),
                    t.settings().data().trainSubset(), t.settings().data().subsetSeed(), t.epochsPlanned(),
                    pct(t.finalTop1())));
        }
        md.append('\n');
    }

    /** Test top-1 by cell on the main subset: one row per size and student, one column per arm. */
    private void accuracies(StringBuilder md) {
        Map<Place, List<Run>> cells = map.cells();
        List<String> arms = cells.keySet().stream().sorted(Comparator.comparing((Place p) -> column(p.arm()))
                .thenComparing(p -> p.hasTeacher() && !p.mainTeacher(map.mainTeacher()))
                .thenComparingDouble(Place::temperature)).map(p -> p.armLabel(map.mainTeacher())).distinct().toList();
        md.append("## Test top-1 by cell (subset seed ").append(map.mainSubsetSeed())
                .append("; mean ± sd over initialisation seeds, their number in brackets)\n\n| training images | student");
        arms.forEach(a -> md.append(" | ").append(a));
        md.append(" |\n|---|---").append("|---".repeat(arms.size())).append("|\n");
        for (int images : map.sizes()) {
            for (var student : map.students()) {
                List<Map.Entry<Place, List<Run>>> row = cells.entrySet().stream()
                        .filter(e -> e.getKey().images() == images && e.getKey().student().equals(student)).toList();
                if (row.isEmpty()) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %,d | %s", images, row.get(0).getKey().studentLabel()));
                for (String arm : arms) {
                    md.append(" | ").append(row.stream().filter(e -> e.getKey().armLabel(map.mainTeacher()).equals(arm))
                            .map(e -> meanSd(e.getValue())).findFirst().orElse(""));
                }
                md.append(" |\n");
            }
        }
        md.append('\n');
    }

    /** The columns' order: each control before the runs measured against it (none, B; C's control, C). */
    private static int column(Column arm) {
        return switch (arm) {
            case NONE -> 0;
            case A -> 1;
            case B -> 2;
            case C_CONTROL -> 3;
            case C -> 4;
        };
    }

    static String meanSd(List<Run> runs) {
        double[] top1 = runs.stream().mapToDouble(Run::top1).toArray();
        return runs.size() < 2 ? pct(top1[0]) + " (1)" : String.format(Locale.ROOT, "%.2f ± %.2f (%d)",
                100 * SeedStatistics.mean(top1), 100 * SeedStatistics.sd(top1), runs.size());
    }

    private void gains(StringBuilder md, Family family, List<Gain> gains) {
        if (gains.isEmpty()) {
            return;
        }
        long tested = gains.stream().filter(g -> !g.gain().untested()).count();
        md.append("## ").append(Character.toUpperCase(family.meaning().charAt(0))).append(family.meaning().substring(1))
                .append("\n\nDifference of means in points of test top-1, paired by ").append(gains.get(0).pairedBy())
                .append(" seed; 95% interval from Student's t (for the comparison alone); p from the paired t-test, then "
                        + "corrected for the ").append(tested).append(" tested comparisons of this table: Benjamini and "
                        + "Hochberg's q (a finding needs at least ").append(DistillationMap.FINDING_PAIRS)
                .append(" pairs and q below 0.05: at most 5% of such findings false, on average) and, stricter, Holm's p "
                        + "(below 0.05: no false finding in the table, at 95%).\n\n")
                .append("| training images | student | run | against | pairs | gain | 95% interval | p | q | Holm's p "
                        + "| finding |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Gain g : gains) {
            SeedStatistics.Interval i = g.gain();
            md.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |%n",
                    g.cell().images(), g.cell().studentLabel(), g.cell().armLabel(map.mainTeacher()),
                    g.control().armLabel(map.mainTeacher()), i.n(), DistillationMap.points(i.mean()),
                    i.untested() ? "" : "[" + DistillationMap.points(i.low()) + ", " + DistillationMap.points(i.high()) + "]",
                    probability(i.p()), probability(g.q()), probability(g.holm()), g.finding() ? "**yes**" : "no"));
        }
        md.append('\n');
    }

    /** A p-value with three decimals; blank when untested (NaN). */
    private static String probability(double p) {
        return Double.isNaN(p) ? "" : String.format(Locale.ROOT, "%.3f", p);
    }

    private static void commands(StringBuilder md, Map<String, String> commands) {
        md.append("## Commands\n\nEach step, as `reproduce` ran it:\n\n<details><summary>")
                .append(commands.size()).append(" commands</summary>\n\n```\n");
        commands.forEach((step, command) -> md.append(step).append(": ").append(command).append('\n'));
        md.append("```\n\n</details>\n");
    }
}
