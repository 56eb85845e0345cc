package org.apprentice.nn;

import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sweeps batch norm's training passes make over a C-order NCHW minibatch, seen as rows of H·W values, one per
 * (image, channel); row r belongs to channel r mod C. Two reductions per row (returned in double precision, for the
 * layer to combine per channel) and two per-channel affine maps: Java sweeps for FLOAT on the CPU
 * ({@link FloatRowPasses}), libnd4j's ops otherwise ({@link Nd4jPasses}).
 */
interface BatchNormPasses {
    /** Per row: Σx, then Σx². */
    double[][] moments(INDArray x, int channels);

    /** Per row: Σdy, then Σdy·x. */
    double[][] dots(INDArray dy, INDArray x, int channels);

    /** out = scale·x + shift, per channel. */
    void affine(INDArray x, double[] scale, double[] shift, INDArray out);

    /** out = a·dy + b·x + shift, per channel; {@code scratch} gives an array shaped as x, where one is needed. */
    void affine2(INDArray dy, double[] a, INDArray x, double[] b, double[] shift, INDArray out,
                 Supplier<INDArray> scratch);
}
