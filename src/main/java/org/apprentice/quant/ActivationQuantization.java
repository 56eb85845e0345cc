package org.apprentice.quant;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;

/**
 * What any activation quantizer offers the rest of Apprentice, whichever carries it (a k-bit activation function
 * in an {@code ActivationLayer}, or a learned quantizer's own layer): consumers read this and never name a carrier.
 */
public interface ActivationQuantization {
    /** Bits a code takes. */
    int bits();

    /** Which quantizer. */
    ActivationMethod method();

    /** Whether it rounds (off only for gradient checks and exact comparisons). */
    boolean isEnabled();

    /** The learned parameters the layer holds for it (PACT's alpha, LSQ's step); none for fixed. */
    List<String> parameters();

    /** What it does, for a network summary: "quantize [0,1]", "quantize [0,α] (PACT)", "quantize (LSQ step)". */
    String operation();

    /** The layer's grid: step, clip range and levels, from its learned parameter where it has one. */
    ActivationGrid grid(Layer layer);

    /** The activation quantization of a layer's configuration, or null when its outputs are not quantized. */
    static ActivationQuantization of(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof ActivationLayer a && a.getActivationFn() instanceof ActivationQuantization q) {
            return q;
        }
        return conf instanceof ActivationQuantization q ? q : null;
    }
}
