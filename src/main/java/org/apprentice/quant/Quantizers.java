package org.apprentice.quant;

/** Which quantizer a bit width means: the paper's "--bits 2" is ternary; 3..8 bits are k-bit levels. */
public final class Quantizers {
    private Quantizers() {
    }

    public static WeightQuantizer weights(int bits, KBitWeights.Scaling scaling) {
        if (bits == 2) {
            return new TernaryWeights();
        }
        if (bits >= 3 && bits <= 8) {
            return new KBitWeights(bits, scaling, false);
        }
        throw new IllegalArgumentException("weight bits must be 2 (ternary), 3..8, or 32 (full precision), got " + bits);
    }
}
