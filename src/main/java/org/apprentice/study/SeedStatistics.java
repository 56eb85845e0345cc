package org.apprentice.study;

import java.util.Arrays;
import org.apache.commons.math3.distribution.TDistribution;
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

    /**
     * A paired gain with its interval: the mean of the per-pair differences, its two-sided 95% confidence interval from
     * Student's t with n - 1 degrees of freedom, and the paired t-test's two-sided p-value; NaN interval and p with
     * fewer than two pairs.
     */
    record Interval(int n, double mean, double low, double high, double p) {
        boolean untested() {
            return Double.isNaN(p);
        }
    }

    /**
     * The paired gain of the differences {@code d} (cell minus control, one per pair). Every pair giving the same
     * difference leaves no spread: the interval is that one value, and p is 1 for no difference, 0 for one.
     */
    static Interval paired(double[] d) {
        double mean = mean(d);
        if (d.length < 2) {
            return new Interval(d.length, mean, Double.NaN, Double.NaN, Double.NaN);
        }
        double se = sd(d) / Math.sqrt(d.length);
        if (se == 0) {
            return new Interval(d.length, mean, mean, mean, mean == 0 ? 1.0 : 0.0);
        }
        TDistribution t = new TDistribution(d.length - 1);
        double half = t.inverseCumulativeProbability(1 - ALPHA / 2) * se;
        double p = 2 * t.cumulativeProbability(-Math.abs(mean / se));
        return new Interval(d.length, mean, mean - half, mean + half, p);
    }

    /**
     * Holm's step-down correction of {@code p} for their number of comparisons (NaN entries, the untested ones, are
     * neither counted nor changed): the k-th smallest of m p-values is multiplied by m - k + 1, kept at least as large
     * as the one before it, and capped at 1. It holds the chance of any false finding among them at {@link #ALPHA}.
     */
    static double[] holm(double[] p) {
        Integer[] order = java.util.stream.IntStream.range(0, p.length).filter(i -> !Double.isNaN(p[i])).boxed()
                .sorted(java.util.Comparator.comparingDouble(i -> p[i])).toArray(Integer[]::new);
        double[] adjusted = p.clone();
        double running = 0;
        for (int k = 0; k < order.length; k++) {
            running = Math.max(running, Math.min(1, (order.length - k) * p[order[k]]));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }

    /**
     * Benjamini and Hochberg's adjusted p-values (q) of {@code p} for their number of comparisons (NaN entries, the
     * untested ones, are neither counted nor changed): the k-th smallest of m p-values times m / k, kept no larger than
     * any after it, and capped at 1. Taking those below {@link #ALPHA} holds the expected share of false findings among
     * them at that level: the usual correction when many comparisons are screened at once, less strict than Holm's.
     */
    static double[] benjaminiHochberg(double[] p) {
        Integer[] order = java.util.stream.IntStream.range(0, p.length).filter(i -> !Double.isNaN(p[i])).boxed()
                .sorted(java.util.Comparator.comparingDouble(i -> p[i])).toArray(Integer[]::new);
        double[] adjusted = p.clone();
        double running = 1;
        for (int k = order.length - 1; k >= 0; k--) {
            running = Math.min(running, order.length * p[order[k]] / (k + 1));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }
}
