package org.apprentice.quant;

/**
 * A layer's quantized activations as a grid, read through {@link ActivationQuantization#grid}: the output is
 * {@code step · code} with {@code code} an integer in [0, levels] (the clipped, rounded input / step), or, with
 * rounding off, the clipped input itself.
 *
 * @param method   fixed k-bit in [0, 1], PACT (learned clip α) or LSQ (learned step s)
 * @param bits     bits a code takes
 * @param rounding whether the layer rounds (off only for gradient checks and exact comparisons)
 * @param step     the value of one level: 1/levels (fixed), α/levels (PACT), s (LSQ), with a learned value floored at
 *                 1e-8 as the quantizer floors it
 * @param low      the clip's low end (0: every quantizer here replaces a ReLU)
 * @param high     the clip's high end: 1, α, or s · levels
 * @param signed   whether codes take negative values (never for the activations here)
 * @param set      whether a learned step or clip has been set (by the first training batch); always for fixed
 */
public record ActivationGrid(ActivationMethod method, int bits, boolean rounding, double step, double low, double high,
                             boolean signed, boolean set) {

    /** The highest code. */
    public int levels() {
        return BitWidth.levels(bits, signed);
    }
}
