package org.apprentice.nn;

import java.nio.FloatBuffer;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch norm's passes over FLOAT arrays on the CPU as Java loops, one sweep each: Σx and Σx² of a row together, Σdy
 * and Σdy·x together, and each affine map in one pass however many terms it has. libnd4j makes one sweep per op
 * (and a temporary array for a·dy + b·x + c); the difference, measured with {@code bin/apprentice bench --layers},
 * is in the README.
 *
 * <p>The rows come in blocks copied into Java arrays ({@link FloatSweeps}), so the loops compile without bounds
 * checks and the affine ones vectorize. Sums are taken in double precision with four partial sums per quantity,
 * always combined in the same order, and each row is summed by one thread: every number is the same whatever the
 * thread count.
 */
public final class FloatRowPasses implements BatchNormPasses {
    static final FloatRowPasses INSTANCE = new FloatRowPasses(FloatSweeps.DEFAULT);

    private final FloatSweeps sweeps;

    FloatRowPasses(FloatSweeps sweeps) {
        this.sweeps = sweeps;
    }

    /**
     * The four sweeps of a batch norm's training step (its statistics and output from x, its sums and dL/dx from dy
     * and x), every sweep shared out between {@code threads} threads however small: what {@code bench --ops} times,
     * to show from which size sharing pays.
     */
    public static void trainingStep(INDArray x, INDArray dy, INDArray out, INDArray dx, int threads) {
        FloatRowPasses passes = new FloatRowPasses(new FloatSweeps(threads, 1));
        int c = (int) x.size(1);
        double[] ones = new double[c];
        java.util.Arrays.fill(ones, 1.0);
        passes.moments(x, c);
        passes.affine(x, ones, ones, out);
        passes.dots(dy, x, c);
        passes.affine2(dy, ones, x, ones, ones, dx, () -> null);
    }

    @Override
    public double[][] moments(INDArray x, int channels) {
        return rowSums(x, x, channels);
    }

    @Override
    public double[][] dots(INDArray dy, INDArray x, int channels) {
        return rowSums(dy, x, channels);
    }

    /**
     * Per row: Σa, then Σa·b, in one sweep; {@code b} may be {@code a} itself (then read once). Four partial sums per
     * quantity, always combined in the same order.
     */
    private double[][] rowSums(INDArray a, INDArray b, int channels) {
        int hw = rowLength(a, channels);
        int rows = (int) (a.length() / hw);
        double[] sum = new double[rows];
        double[] dot = new double[rows];
        boolean same = a == b;
        FloatSweeps.Block pass = (first, count, values) -> {
            float[] d = values[0];
            float[] v = values[same ? 0 : 1];
            for (int j = 0; j < count; j++) {
                int o = j * hw;
                int end = o + hw;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
                int i = o;
                for (; i + 3 < end; i += 4) {
                    double d0 = d[i], d1 = d[i + 1], d2 = d[i + 2], d3 = d[i + 3];
                    s0 += d0;
                    s1 += d1;
                    s2 += d2;
                    s3 += d3;
                    q0 += d0 * v[i];
                    q1 += d1 * v[i + 1];
                    q2 += d2 * v[i + 2];
                    q3 += d3 * v[i + 3];
                }
                for (; i < end; i++) {
                    s0 += d[i];
                    q0 += (double) d[i] * v[i];
                }
                sum[first + j] = (s0 + s1) + (s2 + s3);
                dot[first + j] = (q0 + q1) + (q2 + q3);
            }
        };
        if (same) {
            sweeps.run(rows, hw, pass, a);
        } else {
            sweeps.run(rows, hw, pass, a, b);
        }
        return new double[][] {sum, dot};
    }

    @Override
    public void affine(INDArray x, double[] scale, double[] shift, INDArray out) {
        FloatBuffer to = FloatSweeps.floats(out);
        int c = scale.length;
        int hw = rowLength(x, c);
        float[] fa = narrow(scale);
        float[] ft = narrow(shift);
        sweeps.run((int) (x.length() / hw), hw, (first, count, values) -> {
            float[] v = values[0];
            for (int j = 0; j < count; j++) {
                float a = fa[(first + j) % c];
                float t = ft[(first + j) % c];
                for (int i = j * hw, end = i + hw; i < end; i++) {
                    v[i] = v[i] * a + t;
                }
            }
            to.put(first * hw, v, 0, count * hw);
        }, x);
    }

    @Override
    public void affine2(INDArray dy, double[] a, INDArray x, double[] b, double[] shift, INDArray out,
                        Supplier<INDArray> scratch) {
        FloatBuffer to = FloatSweeps.floats(out);
        int c = a.length;
        int hw = rowLength(x, c);
        float[] fa = narrow(a);
        float[] fb = narrow(b);
        float[] ft = narrow(shift);
        sweeps.run((int) (x.length() / hw), hw, (first, count, values) -> {
            float[] d = values[0];
            float[] v = values[1];
            for (int j = 0; j < count; j++) {
                float ka = fa[(first + j) % c];
                float kb = fb[(first + j) % c];
                float kt = ft[(first + j) % c];
                for (int i = j * hw, end = i + hw; i < end; i++) {
                    d[i] = d[i] * ka + v[i] * kb + kt;
                }
            }
            to.put(first * hw, d, 0, count * hw);
        }, dy, x);
    }

    private static int rowLength(INDArray x, int channels) {
        return Math.toIntExact(x.length() / (x.size(0) * channels));
    }

    private static float[] narrow(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
