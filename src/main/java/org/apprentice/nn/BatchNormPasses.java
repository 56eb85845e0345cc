package org.apprentice.nn;

import org.apprentice.runtime.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sweeps batch norm's training passes make over a C-order NCHW minibatch, seen as rows of H·W values, one per
 * (image, channel); row r belongs to channel r mod C. Two reductions per row (returned in double precision, for the
 * layer to combine per channel) and two per-channel affine maps. {@link #of} picks how they are computed.
 */
interface BatchNormPasses {
    /** Per row: Σx, then Σx². */
    double[][] moments(INDArray x, int channels);

    /** Per row: Σdy, then Σdy·x. */
    double[][] dots(INDArray dy, INDArray x, int channels);

    /** out = scale·x + shift, per channel. */
    void affine(INDArray x, double[] scale, double[] shift, INDArray out);

    /** out = a·dy + b·x + shift, per channel; {@code scratch} (shaped as x) may be overwritten. */
    void affine2(INDArray dy, double[] a, INDArray x, double[] b, double[] shift, INDArray out, INDArray scratch);

    /**
     * Java loops over the rows for FLOAT on the CPU (one pass each; {@link FloatRowPasses}); libnd4j's ops for DOUBLE
     * (the gradient checks) and on CUDA, where the arrays' memory is the device's.
     */
    static BatchNormPasses of(DataType type) {
        return type == DataType.FLOAT && Backend.isCpu() ? FloatRowPasses.INSTANCE : new Nd4jPasses();
    }
}
