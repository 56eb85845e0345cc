package org.apprentice.model;

/**
 * The numeric precision of one layer: bits of its weights and of the activations it produces.
 * 32 means full precision; 2 weight bits means ternary {-α, 0, +α}; 3 to 8 bits are k-bit levels.
 */
public record LayerPrecision(int weightBits, int activationBits) {
    public static final int FULL = org.apprentice.quant.BitWidth.FULL;
    public static final LayerPrecision FULL_PRECISION = new LayerPrecision(FULL, FULL);

    public LayerPrecision {
        check("weight", weightBits);
        check("activation", activationBits);
    }

    private static void check(String what, int bits) {
        org.apprentice.quant.BitWidth.requireOrFull(bits, what + " precision");
    }

    public boolean fullPrecisionWeights() {
        return weightBits == FULL;
    }

    public boolean fullPrecisionActivations() {
        return activationBits == FULL;
    }

    public boolean isFullPrecision() {
        return fullPrecisionWeights() && fullPrecisionActivations();
    }

    /** Short label such as "fp32", "w2a4" (ternary weights, 4-bit activations) or "w4a32". */
    public String label() {
        return isFullPrecision() ? "fp32" : "w" + weightBits + "a" + activationBits;
    }
}
