package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's ReLU activation layer, configured and saved as DL4J's ({@code activation: RELU}), computed in one pass
 * each way ({@link FastActivationLayer}).
 */
public class FastRelu extends ActivationLayer {
    private static final long serialVersionUID = 1L;

    /** A ReLU (also Jackson's constructor). */
    public FastRelu() {
        super(new ActivationLayer.Builder().activation(Activation.RELU));
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return Layers.attach(new FastActivationLayer(conf, networkDataType), conf, listeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public FastRelu clone() {
        return (FastRelu) super.clone();
    }
}
