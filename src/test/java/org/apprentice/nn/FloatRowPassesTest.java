package org.apprentice.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apprentice.testing.Bits;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Batch norm's Java passes ({@link FloatRowPasses}) against sums taken here in double precision from the same float
 * values, and against libnd4j's ops ({@link Nd4jPasses}); on arrays that are views at an offset in a larger buffer,
 * with rows whose length is not a multiple of the loops' unrolling, and large enough to be shared out between
 * threads.
 */
class FloatRowPassesTest {
    private static final int C = 16;
    private static final int H = 27; // 729 values per row: the unrolled loops' tail runs
    /** Values per thread from which a pass is shared out here: small, so that these arrays are. */
    private static final long SHARED = 1 << 12;

    /** Images 1..9 of an [11, C, H, H] array: a C-order view that starts at an offset. */
    private static INDArray view(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray whole = Nd4j.randn(DataType.FLOAT, 11, C, H, H).muli(2).addi(0.5);
        INDArray v = whole.get(NDArrayIndex.interval(1, 10), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertTrue(v.offset() > 0 && v.length() >= 3 * SHARED, "a view at an offset, large enough for 3 threads");
        return v;
    }

    private static double[] channelScalars(double base, double step) {
        double[] out = new double[C];
        for (int k = 0; k < C; k++) {
            out[k] = base + step * k;
        }
        return out;
    }

    @Test
    void rowSumsAreTheDoublePrecisionSumsOfTheFloatValuesAndTheSameOnAnyNumberOfThreads() {
        INDArray x = view(1);
        INDArray dy = view(2);
        double[][] moments = new FloatRowPasses(new FloatSweeps(3, SHARED)).moments(x, C);
        double[][] dots = new FloatRowPasses(new FloatSweeps(3, SHARED)).dots(dy, x, C);
        float[] xs = x.dup().data().asFloat();
        float[] ds = dy.dup().data().asFloat();
        int hw = H * H;
        for (int r = 0; r < 9 * C; r++) {
            double s = 0, q = 0, sd = 0, sdx = 0, scale = 0;
            for (int i = r * hw; i < (r + 1) * hw; i++) {
                s += xs[i];
                q += (double) xs[i] * xs[i];
                sd += ds[i];
                sdx += (double) ds[i] * xs[i];
                scale += Math.abs((double) xs[i]) * (1 + Math.abs((double) ds[i])) + (double) xs[i] * xs[i];
            }
            // each product of two floats is exact in double; the sums differ only by their order: relative 1e-13
            double bound = 1e-13 * scale;
            assertEquals(s, moments[0][r], bound, "Σx of row " + r);
            assertEquals(q, moments[1][r], bound, "Σx² of row " + r);
            assertEquals(sd, dots[0][r], bound, "Σdy of row " + r);
            assertEquals(sdx, dots[1][r], bound, "Σdy·x of row " + r);
        }
        // each row is summed by one thread in one order: the same numbers on 1 thread as on 3
        double[][] oneMoments = new FloatRowPasses(new FloatSweeps(1, SHARED)).moments(x, C);
        double[][] oneDots = new FloatRowPasses(new FloatSweeps(1, SHARED)).dots(dy, x, C);
        for (int k = 0; k < 2; k++) {
            assertArrayEquals(Bits.of(moments[k]), Bits.of(oneMoments[k]));
            assertArrayEquals(Bits.of(dots[k]), Bits.of(oneDots[k]));
        }
    }

    @Test
    void affineMapsAgreeWithLibnd4jsAndWriteOnlyTheirOutput() {
        INDArray x = view(3);
        INDArray dy = view(4);
        INDArray before = x.dup();
        double[] scale = channelScalars(-1.5, 0.2);
        double[] shift = channelScalars(0.3, -0.05);
        double[] b = channelScalars(0.01, 0.003);
        INDArray ours = x.ulike();
        INDArray theirs = x.ulike();
        new FloatRowPasses(new FloatSweeps(3, SHARED)).affine(x, scale, shift, ours);
        new Nd4jPasses().affine(x, scale, shift, theirs);
        assertClose(theirs, ours);
        INDArray ours2 = x.ulike();
        INDArray theirs2 = x.ulike();
        new FloatRowPasses(new FloatSweeps(3, SHARED)).affine2(dy, scale, x, b, shift, ours2, x::ulike);
        new Nd4jPasses().affine2(dy, scale, x, b, shift, theirs2, x::ulike);
        assertClose(theirs2, ours2);
        assertEquals(before, x, "the input is left as it was");
        INDArray one = x.ulike();
        new FloatRowPasses(new FloatSweeps(1, SHARED)).affine2(dy, scale, x, b, shift, one, x::ulike);
        assertArrayEquals(Bits.of(ours2), Bits.of(one), "the same numbers on 1 thread as on 3");
    }

    /** Float rounding of a·x + b·y + c (a few units in the last place of the largest term), nothing more. */
    private static void assertClose(INDArray expected, INDArray actual) {
        double largest = expected.amaxNumber().doubleValue();
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= 4 * Math.ulp((float) largest), "differs by " + diff + " (largest entry " + largest + ")");
    }

    @Test
    void anArrayNotInCOrderIsRefused() {
        INDArray f = Nd4j.create(DataType.FLOAT, new long[] {2, C, 3, 3}, 'f');
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FloatRowPasses.INSTANCE.moments(f, C));
        assertTrue(e.getMessage().startsWith("a C-order FLOAT array expected"), e.getMessage());
    }
}
