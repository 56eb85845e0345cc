package org.apprentice.quant;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What any weight quantizer in a layer's weight-noise slot offers the rest of Apprentice (fixed TWN/k-bit or learned
 * TTQ/LSQ): consumers read this and never name a carrier.
 */
public interface WeightQuantization {
    /** Bits a stored weight takes. */
    int bits();

    /** Which quantizer. */
    WeightMethod method();

    /** The quantized weights q(W) the layer computes with. */
    INDArray effectiveWeights(Layer layer);

    /** q(W) as integer codes and the scale(s) that multiply them. */
    WeightGrid grid(Layer layer);

    /** The learned parameters the layer holds for it (TTQ's wp and wn, LSQ's step); none for a fixed quantizer. */
    List<String> parameters();

    /**
     * The layer's configuration without this quantizer, computing with stored q(W): a plain DL4J layer (the same
     * object with its slot emptied, or a plain convolution in place of a learned one).
     */
    org.deeplearning4j.nn.conf.layers.Layer withoutQuantizer(org.deeplearning4j.nn.conf.layers.Layer conf);

    /** Short description. */
    String describe();

    /** The weight quantization of a layer's configuration, or null when its weights are full precision. */
    static WeightQuantization of(org.deeplearning4j.nn.conf.layers.Layer conf) {
        return conf instanceof BaseLayer base && base.getWeightNoise() instanceof WeightQuantization q ? q : null;
    }
}
