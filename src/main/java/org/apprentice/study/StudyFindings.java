package org.apprentice.study;

import java.util.ArrayList;
import java.util.List;
import org.apprentice.study.Comparisons.Gain;
import org.apprentice.study.Comparisons.Row;
import org.apprentice.study.Comparisons.Sweep;
import org.apprentice.study.Comparisons.Variant;

/**
 * The paper's claims checked against a study's numbers, one sentence each: how close the best scheme comes
 * to full precision, how much of the loss it recovers, which schemes beat the control and whether the
 * differences exceed the runs' own last-epoch swing, how fast scheme B converges, the temperature variants
 * and the teacher sweeps.
 */
final class StudyFindings {
    /** The convergence measure: epochs until test top-1 stays within this many points of its final value. */
    static final double WITHIN_POINTS = 0.5;
    /** Gains over no distillation smaller than this (points) get compared with the runs' last-epoch change. */
    static final double LAST_EPOCH_NOTE_POINTS = 0.5;
    /** The paper's claim: the best low-precision student within this many points of full precision. */
    static final double PAPER_GAP_POINTS = 1.0;

    private StudyFindings() {
    }

    static List<String> of(Comparisons c) {
        List<String> findings = new ArrayList<>();
        for (Gain g : c.gains()) {
            var cells = c.seedCells().get(g.row().config());
            boolean seeds = cells != null && cells.values().stream().anyMatch(cell -> cell.n() > 1);
            gains(g, seeds ? g.row().config() + " (first seed; the seeds' means follow)" : g.row().config().toString(),
                    c.fpStudent(), findings);
        }
        for (Comparisons.SeedGain g : c.seedGains()) {
            seeds(g, findings);
        }
        for (Row row : c.rows()) {
            convergence(row, findings);
        }
        for (Variant v : c.variants()) {
            variant(v, c.mainTemperature(), findings);
        }
        for (Sweep s : c.sweeps()) {
            List<String> order = new ArrayList<>();
            for (StepResult r : s.runs()) {
                order.add(String.format("%s %s", r.teacherModel(), pct(r.finalTop1())));
            }
            findings.add("Teacher sweep for " + s.title() + ": " + String.join(", ", order) + ".");
        }
        return findings;
    }

    /** The first seed's claims of one configuration, each starting with {@code config}. */
    private static void gains(Gain g, String config, StepResult fp, List<String> findings) {
        StepResult best = g.best();
        StepResult none = g.none();
        if (best != null && fp != null) {
            double gap = 100 * (fp.finalTop1() - best.finalTop1());
            findings.add(String.format("%s: the best scheme (%s, %.2f%%) is %s the fp32 student (%.2f%%): %s.",
                    config, Column.of(best).flag(), 100 * best.finalTop1(),
                    gap <= 0 ? String.format("%.2f points above", -gap) : String.format("%.2f points below", gap),
                    100 * fp.finalTop1(), gap <= PAPER_GAP_POINTS ? "within 1 point, as the paper finds"
                            : "NOT within 1 point of full precision"));
            if (none != null) {
                double lost = fp.finalTop1() - none.finalTop1();
                findings.add(lost > 0
                        ? String.format("%s: low precision alone lost %.2f points; the best scheme recovers %.0f%% of "
                                + "them.", config, 100 * lost, 100 * (best.finalTop1() - none.finalTop1()) / lost)
                        : String.format("%s: low precision alone lost nothing (%.2f points vs fp32), so there was "
                                + "nothing for distillation to recover.", config, -100 * lost));
            }
        }
        if (none == null || g.winners().size() + g.losers().size() == 0) {
            return;
        }
        findings.add(config + ": " + (g.losers().isEmpty() ? "every scheme run (" + String.join(", ", g.winners())
                + ") beats the no-distillation student."
                : "scheme" + (g.losers().size() > 1 ? "s " : " ") + String.join(", ", g.losers())
                + " did NOT beat the no-distillation student" + (g.winners().isEmpty() ? "." : "; "
                + String.join(", ", g.winners()) + " did.")));
        noise(g, findings);
        StepResult c = g.row().complete(Column.C);
        StepResult control = g.row().complete(Column.C_CONTROL);
        if (c != null && control != null) {
            double gain = c.finalTop1() - control.finalTop1();
            double swing = Math.max(c.lastEpochChange(), control.lastEpochChange());
            findings.add(String.format("%s: scheme C is %s points %s its control, the same lowered model fine-tuned "
                    + "as long without a teacher (%s vs %s, first seed): %s.", config, signed(Math.abs(gain)).substring(1),
                    gain >= 0 ? "above" : "below", pct(c.finalTop1()), pct(control.finalTop1()),
                    Math.abs(gain) < swing ? String.format("smaller than the change of either run over its last epoch "
                            + "(up to %.2f points), so not evidence either way", 100 * swing)
                            : gain > 0 ? "distillation adds to what the extra epochs add"
                            : "the extra epochs, not distillation, account for scheme C's result here"));
        }
    }

    /** How much the last epoch alone moved these runs: differences below that are not evidence. */
    private static void noise(Gain g, List<String> findings) {
        double swing = Comparisons.lastEpochSwing(g.row());
        List<String> small = new ArrayList<>();
        for (Column column : Comparisons.DISTILLATION) {
            StepResult r = g.row().complete(column);
            if (r != null) {
                double gain = r.finalTop1() - g.none().finalTop1();
                if (Math.abs(gain) < LAST_EPOCH_NOTE_POINTS / 100.0) {
                    small.add(column.flag() + " " + signed(gain));
                }
            }
        }
        if (!small.isEmpty() && swing > 0) {
            findings.add(String.format("%s: the differences %s are smaller than the change of test top-1 over the "
                    + "last epoch of these runs (up to %.2f points): within noise, not evidence either way.",
                    g.row().config(), String.join(", ", small), 100 * swing));
        }
    }

    /** A gain across seeds: a finding only when it clears the seeds' noise (paired or Welch's t, p < 0.05). */
    private static void seeds(Comparisons.SeedGain g, List<String> findings) {
        if (g.singleSeed()) {
            return;
        }
        findings.add(String.format("%s: %s vs %s over %d and %d seeds: %s points (%s vs %s; %s %.2f, p %.3f): %s.",
                g.cell().config(), g.cell().column().flag(), g.control().column().flag(), g.cell().n(), g.control().n(),
                signed(g.difference()), StudyReport.meanSd(g.cell()), StudyReport.meanSd(g.control()), g.test(), g.t(),
                g.p(),
                g.finding() ? "a finding, clear of the seeds' noise" : "within the seeds' noise, NOT a finding"));
    }

    private static void convergence(Row row, List<String> findings) {
        StepResult b = row.complete(Column.B);
        if (row.config().fullPrecision() || b == null) {
            return;
        }
        List<String> others = new ArrayList<>();
        for (Column column : List.of(Column.NONE, Column.A)) {
            StepResult r = row.complete(column);
            if (r != null) {
                others.add(String.format("%s %d", column.flag(), r.epochsToWithin(WITHIN_POINTS)));
            }
        }
        StepResult a = row.complete(Column.A);
        findings.add(String.format("%s: scheme B came within %.1f points of its final accuracy after %d epochs "
                        + "(%s)%s.", row.config(), WITHIN_POINTS, b.epochsToWithin(WITHIN_POINTS),
                others.isEmpty() ? "nothing to compare" : String.join(", ", others),
                a == null ? "" : String.format("; its final top-1 is %s scheme A's (%s vs %s)",
                        b.finalTop1() > a.finalTop1() + 0.005 ? "above" : b.finalTop1() >= a.finalTop1() - 0.005
                                ? "comparable to" : "below",
                        pct(b.finalTop1()), pct(a.finalTop1()))));
    }

    private static void variant(Variant v, double mainTemperature, List<String> findings) {
        StepResult r = v.result();
        if (v.none() == null) {
            return;
        }
        findings.add(String.format("%s %s, scheme %s at T=%s: %s, %s points over the no-distillation student%s.",
                r.model(), r.precision(), r.scheme().flag(), StudyReport.num(r.temperature()), pct(r.finalTop1()),
                signed(r.finalTop1() - v.none().finalTop1()), v.sameScheme() == null ? "" : String.format(
                        " (%s points vs T=%s)", signed(r.finalTop1() - v.sameScheme().finalTop1()),
                        StudyReport.num(mainTemperature))));
    }

    static String pct(double v) {
        return String.format("%.2f%%", 100 * v);
    }

    static String signed(double v) {
        return String.format("%+.2f", 100 * v);
    }
}
