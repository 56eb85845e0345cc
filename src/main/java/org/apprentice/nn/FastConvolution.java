package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution, configured and saved as DL4J's, whose backward pass reuses the forward's work
 * ({@link FastConvolutionLayer}). Everything that reads a {@link ConvolutionLayer} reads this one.
 */
public class FastConvolution extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    /** For Jackson. */
    public FastConvolution() {
    }

    /** The convolution {@code builder} describes. */
    public FastConvolution(ConvolutionLayer.Builder builder) {
        super(builder);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return Layers.attach(new FastConvolutionLayer(conf, networkDataType), conf, listeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public FastConvolution clone() {
        return (FastConvolution) super.clone();
    }
}
