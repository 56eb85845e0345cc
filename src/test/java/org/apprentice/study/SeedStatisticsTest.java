package org.apprentice.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The study's statistics on plain numbers, against values worked out by hand (closed forms of Student's t). */
class SeedStatisticsTest {

    @Test
    void meanAndSampleStandardDeviation() {
        double[] v = {0.80, 0.82, 0.84};
        assertEquals(0.82, SeedStatistics.mean(v), 1e-12);
        assertEquals(0.02, SeedStatistics.sd(v), 1e-12, "n - 1 in the denominator");
        assertTrue(Double.isNaN(SeedStatistics.sd(new double[] {0.8})), "no spread from one run");
    }

    @Test
    void pairedRunsAreTestedOnTheirDifferences() {
        // differences 0.01, 0.02, 0.01: mean 1/75, sd 0.01/sqrt(3), so t = 4 with 2 degrees of freedom, whose
        // distribution function is 1/2 + t / (2 sqrt(2 + t^2)): p = 1 - 4 / sqrt(18)
        SeedStatistics.Test t = SeedStatistics.compare(new double[] {0.85, 0.86, 0.87}, new double[] {0.84, 0.84, 0.86},
                true);
        assertTrue(t.paired());
        assertEquals(0.04 / 3, t.difference(), 1e-12);
        assertEquals(4.0, t.t(), 1e-9);
        assertEquals(1 - 4 / Math.sqrt(18), t.p(), 1e-9);
        assertFalse(t.finding(), "p 0.057 is not below 0.05");
    }

    @Test
    void unpairedRunsAreComparedByWelchsTest() {
        // means 2 and 4, variances 1 and 4, three runs each: t = -2 / sqrt(5/3); Welch's degrees of freedom 2.94
        // lie between 2 and 3, so p lies between the two closed forms' values at |t| = 1.549
        SeedStatistics.Test t = SeedStatistics.compare(new double[] {1, 2, 3}, new double[] {2, 4, 6}, false);
        assertFalse(t.paired());
        assertEquals(-2, t.difference(), 1e-12);
        double tt = -2 / Math.sqrt(5.0 / 3);
        assertEquals(tt, t.t(), 1e-9);
        double a = Math.abs(tt);
        double pAt2 = 1 - a / Math.sqrt(2 + a * a);
        double pAt3 = 1 - 2 / Math.PI * (a / Math.sqrt(3) / (1 + a * a / 3) + Math.atan(a / Math.sqrt(3)));
        assertTrue(t.p() > pAt3 && t.p() < pAt2, pAt3 + " < " + t.p() + " < " + pAt2);
    }

    @Test
    void noSpreadIsCertainEitherWay() {
        SeedStatistics.Test same = SeedStatistics.compare(new double[] {0.8, 0.8}, new double[] {0.8, 0.8}, true);
        assertEquals(1.0, same.p(), "no difference at all");
        SeedStatistics.Test shifted = SeedStatistics.compare(new double[] {0.75, 0.5}, new double[] {0.625, 0.375}, true);
        assertEquals(0.0, shifted.p(), "every seed gained the same: certain");
        assertTrue(shifted.finding());
    }

    @Test
    void oneRunOnASideIsNotTested() {
        SeedStatistics.Test t = SeedStatistics.compare(new double[] {0.9}, new double[] {0.8, 0.82}, false);
        assertTrue(t.untested() && !t.finding());
        assertEquals(0.09, t.difference(), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> SeedStatistics.compare(new double[] {1, 2, 3}, new double[] {1, 2}, true));
    }

    @Test
    void aPairedGainHasStudentsIntervalAndItsP() {
        // differences 0.01, 0.02, 0.01: mean 1/75, standard error 0.01/3; with 2 degrees of freedom F(t) = 1/2 +
        // t / (2 sqrt(2 + t^2)), so the 97.5% quantile solves t^2 = 0.9025 (2 + t^2): t = sqrt(1.805 / 0.0975)
        SeedStatistics.Interval g = SeedStatistics.paired(new double[] {0.01, 0.02, 0.01});
        double half = Math.sqrt(1.805 / 0.0975) * 0.01 / 3;
        assertEquals(3, g.n());
        assertEquals(1.0 / 75, g.mean(), 1e-12);
        assertEquals(1.0 / 75 - half, g.low(), 1e-9);
        assertEquals(1.0 / 75 + half, g.high(), 1e-9);
        assertEquals(1 - 4 / Math.sqrt(18), g.p(), 1e-9, "the paired t-test's p, as compare gives it");
        assertTrue(SeedStatistics.paired(new double[] {0.01}).untested(), "one pair is not tested");
        SeedStatistics.Interval same = SeedStatistics.paired(new double[] {0.02, 0.02});
        assertEquals(List.of(0.02, 0.02, 0.0), List.of(same.low(), same.high(), same.p()), "no spread: certain");
    }

    @Test
    void holmMultipliesTheKthSmallestPByTheComparisonsLeftAndKeepsTheOrder() {
        double[] adjusted = SeedStatistics.holm(new double[] {0.01, 0.04, 0.03, Double.NaN, 0.5});
        // four tested: 0.01 x 4 = 0.04; 0.03 x 3 = 0.09; 0.04 x 2 = 0.08, raised to 0.09; 0.5 x 1 = 0.5
        assertEquals(0.04, adjusted[0], 1e-12);
        assertEquals(0.09, adjusted[1], 1e-12);
        assertEquals(0.09, adjusted[2], 1e-12);
        assertTrue(Double.isNaN(adjusted[3]), "the untested one is not counted");
        assertEquals(0.5, adjusted[4], 1e-12);
        assertEquals(1.0, SeedStatistics.holm(new double[] {0.6, 0.7})[0], 1e-12, "capped at 1");
    }

    @Test
    void benjaminiHochbergScalesTheKthSmallestPByItsRankAndKeepsTheOrder() {
        double[] q = SeedStatistics.benjaminiHochberg(new double[] {0.01, 0.04, 0.03, Double.NaN, 0.5});
        // four tested: 0.01 x 4/1 = 0.04; 0.03 x 4/2 = 0.06; 0.04 x 4/3 = 0.0533, lowered to it from 0.06; 0.5 x 4/4
        assertEquals(0.04, q[0], 1e-12);
        assertEquals(0.04 * 4 / 3, q[1], 1e-12);
        assertEquals(0.04 * 4 / 3, q[2], 1e-12, "never above a larger p's q");
        assertTrue(Double.isNaN(q[3]), "the untested one is not counted");
        assertEquals(0.5, q[4], 1e-12);
    }
}
