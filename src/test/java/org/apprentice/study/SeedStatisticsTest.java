package org.apprentice.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
