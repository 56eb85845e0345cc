package org.apprentice.quant;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What any weight quantizer in a layer's weight-noise slot offers the rest of Apprentice: its bits and q(W). */
public interface WeightQuantization {
    /** Bits a stored weight takes. */
    int bits();

    /** The quantized weights q(W) the layer computes with. */
    INDArray effectiveWeights(Layer layer);

    /** Short description. */
    String describe();

    /** The weight quantization of a layer's configuration, or null when its weights are full precision. */
    static WeightQuantization of(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return conf instanceof BaseLayer base && base.getWeightNoise() instanceof WeightQuantization q ? q : null;
    }
}
