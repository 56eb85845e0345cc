package org.apprentice.nn;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's activation layer with any activation function, configured and saved as DL4J's (the class name aside),
 * computed in one pass each way where the function allows ({@link FastActivationLayer}: the fixed k-bit activation
 * quantizer). Everything that reads an {@link ActivationLayer} reads this one.
 */
public class FastActivation extends ActivationLayer {
    private static final long serialVersionUID = 1L;

    /** For Jackson, which then sets the function. */
    public FastActivation() {
        super(new ActivationLayer.Builder());
    }

    public FastActivation(IActivation function) {
        super(new ActivationLayer.Builder().activation(function));
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return Layers.attach(new FastActivationLayer(conf, networkDataType), conf, listeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public FastActivation clone() {
        return (FastActivation) super.clone();
    }
}
