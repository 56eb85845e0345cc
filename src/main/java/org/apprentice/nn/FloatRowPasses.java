package org.apprentice.nn;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apprentice.runtime.MachineInfo;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch norm's passes over FLOAT arrays on the CPU as Java loops, one sweep each: Σx and Σx² of a row together, Σdy
 * and Σdy·x together, and each affine map in one pass however many terms it has. libnd4j makes one sweep per op
 * (and a temporary array for a·dy + b·x + c); the difference, measured with {@code bin/apprentice bench --layers},
 * is in the README.
 *
 * <p>The rows are copied, a block of whole rows at a time (about {@value #BLOCK_VALUES} values), into small Java
 * arrays first (one bulk copy from the array's memory per block), so the loops run on arrays the JIT compiles
 * without bounds checks, and the affine loops vectorize. Sums are taken in double
 * precision with four partial sums per quantity, always combined in the same order, and the rows are shared out
 * between the threads ND4J computes with ({@link MachineInfo#threads()}) by contiguous ranges: every number is
 * the same whatever the thread count.
 */
final class FloatRowPasses implements BatchNormPasses {
    /** About how many values of each source a block copies (whole rows; at least one). */
    private static final int BLOCK_VALUES = 2048;
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, MachineInfo.threads() - 1), r -> {
        Thread t = new Thread(r, "apprentice-batchnorm");
        t.setDaemon(true);
        return t;
    });

    /** A pass over {@code count} rows from row {@code first}, whose values (one array per source) start at 0. */
    @FunctionalInterface
    private interface Block {
        void run(int first, int count, float[][] values);
    }

    /**
     * Shared out only from 512 Ki values per thread: on this project's 2-core machine, a pass over 128x16x32x32 took
     * 1.45x less time on 2 threads than on 1, 16x64x56x56 1.7x less, 128x32x16x16 the same, and 16x512x7x7 longer
     * (waking the other thread costs more than it saves).
     */
    static final FloatRowPasses INSTANCE = new FloatRowPasses(MachineInfo.threads(), 1 << 19);

    /** The parts a large pass is cut into: this thread takes one, the pool's threads the others. */
    private final int threads;
    /** Below this many values per thread a pass is not shared out. */
    private final long minValuesPerThread;

    FloatRowPasses(int threads, long minValuesPerThread) {
        this.threads = threads;
        this.minValuesPerThread = minValuesPerThread;
    }

    @Override
    public double[][] moments(INDArray x, int channels) {
        int hw = rowLength(x, channels);
        int rows = (int) (x.length() / hw);
        double[] sum = new double[rows];
        double[] squares = new double[rows];
        inParallel(rows, hw, new FloatBuffer[] {floats(x)}, (first, count, values) -> {
            float[] v = values[0];
            for (int j = 0; j < count; j++) {
                int o = j * hw;
                int end = o + hw;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
                int i = o;
                for (; i + 3 < end; i += 4) {
                    double v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
                    s0 += v0;
                    s1 += v1;
                    s2 += v2;
                    s3 += v3;
                    q0 += v0 * v0;
                    q1 += v1 * v1;
                    q2 += v2 * v2;
                    q3 += v3 * v3;
                }
                for (; i < end; i++) {
                    s0 += v[i];
                    q0 += (double) v[i] * v[i];
                }
                sum[first + j] = (s0 + s1) + (s2 + s3);
                squares[first + j] = (q0 + q1) + (q2 + q3);
            }
        });
        return new double[][] {sum, squares};
    }

    @Override
    public double[][] dots(INDArray dy, INDArray x, int channels) {
        int hw = rowLength(x, channels);
        int rows = (int) (x.length() / hw);
        double[] sum = new double[rows];
        double[] dot = new double[rows];
        inParallel(rows, hw, new FloatBuffer[] {floats(dy), floats(x)}, (first, count, values) -> {
            float[] d = values[0];
            float[] v = values[1];
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
        });
        return new double[][] {sum, dot};
    }

    @Override
    public void affine(INDArray x, double[] scale, double[] shift, INDArray out) {
        FloatBuffer to = floats(out);
        int c = scale.length;
        int hw = rowLength(x, c);
        float[] fa = narrow(scale);
        float[] ft = narrow(shift);
        inParallel((int) (x.length() / hw), hw, new FloatBuffer[] {floats(x)}, (first, count, values) -> {
            float[] v = values[0];
            for (int j = 0; j < count; j++) {
                float a = fa[(first + j) % c];
                float t = ft[(first + j) % c];
                for (int i = j * hw, end = i + hw; i < end; i++) {
                    v[i] = v[i] * a + t;
                }
            }
            to.put(first * hw, v, 0, count * hw);
        });
    }

    @Override
    public void affine2(INDArray dy, double[] a, INDArray x, double[] b, double[] shift, INDArray out,
                        INDArray scratch) {
        FloatBuffer to = floats(out);
        int c = a.length;
        int hw = rowLength(x, c);
        float[] fa = narrow(a);
        float[] fb = narrow(b);
        float[] ft = narrow(shift);
        inParallel((int) (x.length() / hw), hw, new FloatBuffer[] {floats(dy), floats(x)}, (first, count, values) -> {
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
        });
    }

    /**
     * Rows [0, rows) in contiguous ranges, one per thread where the pass is large enough; each range in blocks of
     * whole rows, whose values from each source are copied into Java arrays before {@code pass} reads (and may
     * overwrite) them. Returns when every range has run.
     */
    private void inParallel(int rows, int hw, FloatBuffer[] sources, Block pass) {
        long values = (long) rows * hw;
        int parts = (int) Math.max(1, Math.min(Math.min(threads, rows), values / minValuesPerThread));
        List<Future<?>> others = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) rows * p / parts);
            int to = (int) ((long) rows * (p + 1) / parts);
            others.add(POOL.submit(() -> inBlocks(from, to, hw, sources, pass)));
        }
        inBlocks(0, rows / parts, hw, sources, pass);
        try {
            for (Future<?> f : others) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in a batch-norm pass", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static void inBlocks(int from, int to, int hw, FloatBuffer[] sources, Block pass) {
        int perBlock = Math.max(1, BLOCK_VALUES / hw);
        float[][] values = new float[sources.length][perBlock * hw];
        for (int r = from; r < to; r += perBlock) {
            int count = Math.min(perBlock, to - r);
            for (int s = 0; s < sources.length; s++) {
                sources[s].get(r * hw, values[s], 0, count * hw);
            }
            pass.run(r, count, values);
        }
    }

    /** The values of a C-order FLOAT array, read and written in place (from its offset in its buffer). */
    private static FloatBuffer floats(INDArray a) {
        if (a.dataType() != DataType.FLOAT || !denseRowMajor(a)) {
            throw new IllegalArgumentException("a C-order FLOAT array expected, got " + a.dataType() + " "
                    + a.ordering() + " " + a.shapeInfoToString());
        }
        FloatBuffer all = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        return all.slice(Math.toIntExact(a.offset()), Math.toIntExact(a.length()));
    }

    /**
     * Whether the values lie one after the other in C order (a dimension of size 1 may have any stride: ND4J gives
     * some arrays of shape [N, C, 1, 1] strides its own default check refuses).
     */
    static boolean denseRowMajor(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
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
