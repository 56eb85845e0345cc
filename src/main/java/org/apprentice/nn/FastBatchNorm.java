package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's batch normalization (the same parameters, running statistics and saved form) whose training passes
 * are computed in fewer sweeps over the activations ({@link FastBatchNormLayer}). Everything that reads a
 * {@link BatchNormalization} reads this one.
 */
public class FastBatchNorm extends BatchNormalization {
    private static final long serialVersionUID = 1L;

    /** For Jackson; DL4J's defaults (ε 1e-5, decay 0.9, log10 standard deviation kept). */
    public FastBatchNorm() {
    }

    /** With the running statistics' {@code decay} and the variance's {@code eps}. */
    public FastBatchNorm(double eps, double decay) {
        setEps(eps);
        setDecay(decay);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return Layers.attach(new FastBatchNormLayer(conf, networkDataType), conf, listeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public FastBatchNorm clone() {
        return (FastBatchNorm) super.clone();
    }
}
