package org.apprentice.export;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A batch norm at inference as one multiplier and one shift per channel, y = multiplier · x + shift (γ/σ and
 * β − μ·γ/σ), which a convolution before it absorbs.
 */
record BatchNormFold(double[] multiplier, double[] shift) {

    /**
     * The running variance DL4J's batch norm divides by: var = (10^log10stdev)² where it keeps the log standard
     * deviation (Apprentice's networks do), else its {@code var} parameter.
     */
    static INDArray variance(BatchNormalization bn, Layer layer) {
        return bn.isUseLogStd() ? Transforms.exp(layer.getParam("log10stdev").mul(2 * Math.log(10)), false)
                : layer.getParam("var");
    }

    static BatchNormFold of(BatchNormalization bn, Layer layer) {
        double[] gamma = vector(layer.getParam("gamma"));
        double[] beta = vector(layer.getParam("beta"));
        double[] mean = vector(layer.getParam("mean"));
        double[] var = vector(variance(bn, layer));
        double[] multiplier = new double[gamma.length];
        double[] shift = new double[gamma.length];
        for (int k = 0; k < gamma.length; k++) {
            multiplier[k] = gamma[k] / Math.sqrt(var[k] + bn.getEps());
            shift[k] = beta[k] - mean[k] * multiplier[k];
        }
        return new BatchNormFold(multiplier, shift);
    }

    int channels() {
        return multiplier.length;
    }

    private static double[] vector(INDArray a) {
        return a.reshape(-1).castTo(DataType.DOUBLE).toDoubleVector();
    }
}
