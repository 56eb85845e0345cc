package org.apprentice.nn;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apprentice.runtime.Backend;
import org.apprentice.runtime.MachineInfo;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sweeps over FLOAT arrays on the CPU as Java loops, for the project's layers (batch norm, the activation
 * quantizers) where one Java pass replaces several libnd4j ops. The values come in blocks of whole rows (about {@value #BLOCK_VALUES} values of each source), each
 * copied from the array's memory into a Java array first (one bulk copy per block), so the loops run on arrays the
 * JIT compiles without bounds checks, and simple ones vectorize. Large sweeps are shared out between threads by
 * contiguous ranges of rows, so a row is always computed by one thread in one order: the numbers do not depend on
 * the thread count.
 */
public final class FloatSweeps {
    /** About how many values of each source a block copies (whole rows; at least one). */
    private static final int BLOCK_VALUES = 2048;
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, MachineInfo.threads() - 1),
            r -> {
                Thread t = new Thread(r, "apprentice-sweeps");
                t.setDaemon(true);
                return t;
            });

    /**
     * ND4J's threads at the time of each sweep (fewer under {@code --replicas}), shared out only from 512 Ki values
     * per thread: below that a second thread gained little or nothing in batch norm's sweeps ({@code bench --ops}
     * times them on 1 and 2 threads; the README has the figures).
     */
    public static final FloatSweeps DEFAULT = new FloatSweeps(0, 1 << 19);

    /** A pass over {@code count} rows from row {@code first}, whose values (one array per source) start at 0. */
    @FunctionalInterface
    public interface Block {
        void run(int first, int count, float[][] values);
    }

    /** The parts a large sweep is cut into (ND4J's threads where 0): this thread takes one, the pool's the others. */
    private final int threads;
    /** Below this many values per thread a sweep is not shared out. */
    private final long minValuesPerThread;

    FloatSweeps(int threads, long minValuesPerThread) {
        this.threads = threads;
        this.minValuesPerThread = minValuesPerThread;
    }

    /**
     * Rows [0, rows) of {@code rowLength} values of each source, in contiguous ranges, one per thread where the sweep
     * is large enough; each range in blocks, whose values are copied into Java arrays before {@code pass} reads (and
     * may overwrite) them. Returns when every range has run, also when one fails (its error is thrown then). A
     * {@code pass} must not start a sweep itself: the pool's threads would wait on one another.
     */
    public void run(int rows, int rowLength, Block pass, INDArray... sources) {
        FloatBuffer[] in = new FloatBuffer[sources.length];
        for (int s = 0; s < sources.length; s++) {
            in[s] = floats(sources[s]);
        }
        long values = (long) rows * rowLength;
        int threads = this.threads > 0 ? this.threads : Math.max(1, Nd4j.getEnvironment().maxThreads());
        int parts = (int) Math.max(1, Math.min(Math.min(threads, rows), values / minValuesPerThread));
        List<Future<?>> others = new ArrayList<>();
        RuntimeException failure = null;
        try {
            for (int p = 1; p < parts; p++) {
                int from = (int) ((long) rows * p / parts);
                int to = (int) ((long) rows * (p + 1) / parts);
                others.add(POOL.submit(() -> inBlocks(from, to, rowLength, in, pass)));
            }
            inBlocks(0, rows / parts, rowLength, in, pass);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            failure = awaitAll(others, failure); // never leave a part writing into arrays the caller may free
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits for every part, however interrupted; returns the first failure (the caller's, else a part's). */
    private static RuntimeException awaitAll(List<Future<?>> parts, RuntimeException failure) {
        boolean interrupted = false;
        for (Future<?> f : parts) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return failure;
    }

    private static void inBlocks(int from, int to, int rowLength, FloatBuffer[] sources, Block pass) {
        int perBlock = Math.max(1, BLOCK_VALUES / rowLength);
        float[][] values = new float[sources.length][perBlock * rowLength];
        for (int r = from; r < to; r += perBlock) {
            int count = Math.min(perBlock, to - r);
            for (int s = 0; s < sources.length; s++) {
                sources[s].get(r * rowLength, values[s], 0, count * rowLength);
            }
            pass.run(r, count, values);
        }
    }

    /** The values of a C-order FLOAT array, read and written in place (from its offset in its buffer). */
    public static FloatBuffer floats(INDArray a) {
        if (a.dataType() != DataType.FLOAT || !denseRowMajor(a)) {
            throw new IllegalArgumentException("a C-order FLOAT array expected, got " + a.dataType() + " "
                    + a.ordering() + " " + a.shapeInfoToString());
        }
        FloatBuffer all = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        return all.slice(Math.toIntExact(a.offset()), Math.toIntExact(a.length()));
    }

    /** {@code a} as FLOAT values dense in C order: itself where it is, else a copy. */
    public static INDArray dense(INDArray a) {
        INDArray f = a.castTo(DataType.FLOAT);
        return denseRowMajor(f) ? f : f.dup('c');
    }

    /**
     * Whether {@code a} is an array these sweeps take: FLOAT, dense in C order, on the CPU, within the first 2 GiB of
     * its buffer (what a {@link java.nio.ByteBuffer} reaches).
     */
    public static boolean takes(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && (a.offset() + a.length()) * 4 <= Integer.MAX_VALUE
                && denseRowMajor(a) && Backend.isCpu();
    }

    /**
     * Whether the values lie one after the other in C order (a dimension of size 1 may have any stride: ND4J gives
     * some arrays of shape [N, C, 1, 1] strides its own default check refuses).
     */
    public static boolean denseRowMajor(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }
}
