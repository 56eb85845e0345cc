package org.apprentice.quant;

/**
 * Bit widths of quantized weights and activations: the one place that says which widths a quantizer takes (2 to 8;
 * 32 means full precision and is not a quantizer's), and the one formula for how many levels a grid of that width
 * has.
 */
public final class BitWidth {
    /** The narrowest grid: ternary weights, 4-level activations. */
    public static final int MIN = 2;
    /** The widest grid a quantizer here takes: what an 8-bit integer holds, and what ONNX Runtime computes in. */
    public static final int MAX = 8;
    /** A full-precision (float32) layer, as precision specs and flags write it. */
    public static final int FULL = 32;

    private BitWidth() {
    }

    /** {@code bits}, or a one-line refusal naming {@code what} ("--act-bits", "LSQ weights"). */
    public static int require(int bits, String what) {
        if (bits < MIN || bits > MAX) {
            throw new IllegalArgumentException(what + " " + bits + " is not allowed: give " + MIN + ".." + MAX + " bits");
        }
        return bits;
    }

    /** {@code bits} if it is {@link #FULL} or a quantizer's width, else a one-line refusal naming {@code what}. */
    public static int requireOrFull(int bits, String what) {
        if (bits != FULL && (bits < MIN || bits > MAX)) {
            throw new IllegalArgumentException(what + " " + bits + " is not allowed: give " + MIN + ".." + MAX
                    + " bits, or " + FULL + " (full precision)");
        }
        return bits;
    }

    /**
     * The highest code of a {@code bits}-wide grid: 2^bits - 1 for an unsigned grid (codes 0..that), 2^(bits-1) - 1
     * for a signed one (codes -that..that, symmetric: the most negative two's-complement value is not used).
     */
    public static int levels(int bits, boolean signed) {
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** 2^23: adding it to a float in [0, 2^22] leaves no fraction bits, so the sum is rounded to an integer. */
    private static final float INTEGER_RANGE = 8388608f;

    /**
     * {@code c} rounded half to even, as {@link Math#rint} and libnd4j's {@code rint}, for 0 ≤ c ≤ 2^22 (a level
     * count): (c + 2^23) − 2^23 in float, exact there, and a form the JIT vectorizes in the sweeps' loops, where it
     * calls {@code Math.rint} once per value.
     */
    static float roundLevel(float c) {
        return (c + INTEGER_RANGE) - INTEGER_RANGE;
    }
}
