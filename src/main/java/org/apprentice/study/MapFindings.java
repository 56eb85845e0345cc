package org.apprentice.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apprentice.study.DistillationMap.Family;
import org.apprentice.study.DistillationMap.Gain;

/**
 * The sentences a map's comparisons support, no more: how many were tested and which are findings, in each family;
 * where the teacher's gain is largest and clearest; where the map finds another temperature or teacher better than the
 * paper's defaults. Untested and unclear comparisons are counted, never worded as results.
 */
final class MapFindings {
    private MapFindings() {
    }

    static List<String> of(DistillationMap map, Map<Family, List<Gain>> gains) {
        List<String> out = new ArrayList<>();
        if (map.runs().isEmpty()) {
            out.add("Nothing has run yet.");
            return out;
        }
        gains.forEach((family, list) -> {
            if (!list.isEmpty()) {
                out.add(family(family, list, map));
            }
        });
        Gain best = map.strongest();
        out.add(best == null
                ? "The teacher's gain is not told apart from seed noise anywhere the map has run so far: no comparison of "
                        + "the teacher's gain is a finding."
                : "The teacher's gain is largest and clearest for " + describe(best, map) + ": its interval lies furthest "
                        + "above 0 of all findings.");
        return out;
    }

    private static String family(Family family, List<Gain> gains, DistillationMap map) {
        long tested = gains.stream().filter(g -> !g.gain().untested()).count();
        long enough = gains.stream().filter(g -> g.gain().n() >= DistillationMap.FINDING_PAIRS).count();
        List<Gain> findings = gains.stream().filter(Gain::finding).toList();
        String head = String.format(Locale.ROOT, "%s: %d comparison%s, %d tested (two pairs or more), %d with %d pairs or "
                + "more; ", capitalised(family.meaning()), gains.size(), gains.size() == 1 ? "" : "s", tested, enough,
                DistillationMap.FINDING_PAIRS);
        if (findings.isEmpty()) {
            return head + "none is a finding (q below 0.05 with " + DistillationMap.FINDING_PAIRS + " pairs or more).";
        }
        List<String> each = findings.stream().map(g -> describe(g, map)).toList();
        return head + findings.size() + (findings.size() == 1 ? " is a finding: " : " are findings: ")
                + String.join("; ", each) + ".";
    }

    /**
     * "w2a4 lsq/lsq at 1,000 images, B, T = 4 against no teacher: +1.20 points [+0.40, +2.00], 3 pairs, q 0.012 (Holm's
     * p 0.024)".
     */
    static String describe(Gain g, DistillationMap map) {
        SeedStatistics.Interval i = g.gain();
        return String.format(Locale.ROOT, "%s at %,d images, %s against %s: %s points [%s, %s], %d pairs, q %.3f "
                + "(Holm's p %.3f)", g.cell().studentLabel(), g.cell().images(), g.cell().armLabel(map.mainTeacher()),
                g.control().armLabel(map.mainTeacher()), DistillationMap.points(i.mean()),
                DistillationMap.points(i.low()), DistillationMap.points(i.high()), i.n(), g.q(), g.holm());
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
