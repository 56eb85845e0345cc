package org.apprentice.quant;

/** Which quantizer a bit width means: the paper's "--bits 2" is ternary; 3..8 bits are k-bit levels. */
public final class Quantizers {
    private Quantizers() {
    }

    public static WeightQuantizer weights(int bits, KBitWeights.Scaling scaling) {
        if (bits == 2) {
            return new TernaryWeights();
        }
        return new KBitWeights(BitWidth.require(bits, "weight bits"), scaling, false);
    }
}
