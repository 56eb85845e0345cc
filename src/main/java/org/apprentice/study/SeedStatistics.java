package org.apprentice.study;

import java.util.Arrays;
import org.apache.commons.math3.stat.descriptive.moment.Variance;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * The statistics of a study on plain numbers (final top-1 per seed), apart from where the numbers come from and how
 * they are printed: mean, sample standard deviation, and the test of one cell's gain over its control.
 */
final class SeedStatistics {
    /** The significance level of a finding. */
    static final double ALPHA = 0.05;

    private SeedStatistics() {
    }

    /**
     * A gain over a control: the difference of means, the t statistic and its two-sided p-value (NaN with fewer than
     * two runs on either side), and whether the runs were paired (by seed) or compared by Welch's t-test.
     */
    record Test(double difference, double t, double p, boolean paired) {
        /** Fewer than two runs on a side: the gain is not tested. */
        boolean untested() {
            return Double.isNaN(p);
        }

        /** A finding: tested, and p below {@link #ALPHA}. */
        boolean finding() {
            return !untested() && p < ALPHA;
        }
    }

    static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** The sample standard deviation (n - 1), NaN for fewer than two values. */
    static double sd(double[] values) {
        return values.length < 2 ? Double.NaN : Math.sqrt(new Variance().evaluate(values));
    }

    /**
     * {@code cell} against {@code control}: paired when {@code paired} (the arrays then hold the same seeds in the same
     * order), else Welch's test. No spread at all (every pair gave the same difference, or every run the same
     * accuracy) makes the t statistic undefined or infinite: the gain is then certain either way (p 1 for no
     * difference, p 0 for one).
     */
    static Test compare(double[] cell, double[] control, boolean paired) {
        double difference = mean(cell) - mean(control);
        if (cell.length < 2 || control.length < 2) {
            return new Test(difference, Double.NaN, Double.NaN, false);
        }
        if (paired && cell.length != control.length) {
            throw new IllegalArgumentException("paired runs need as many on each side: " + cell.length + " and "
                    + control.length);
        }
        TTest test = new TTest();
        double t = paired ? test.pairedT(cell, control) : test.t(cell, control);
        double p = Double.isNaN(t) ? 1.0 : Double.isInfinite(t) ? 0.0
                : paired ? test.pairedTTest(cell, control) : test.tTest(cell, control);
        return new Test(difference, t, p, paired);
    }
}
