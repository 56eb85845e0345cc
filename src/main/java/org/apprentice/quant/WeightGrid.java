package org.apprentice.quant;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer's quantized weights as integer codes and the scale(s) that multiply them, read through
 * {@link WeightQuantization#grid}: what a packed file stores and an integer export writes.
 *
 * @param method   the quantizer (fixed TWN/k-bit, TTQ or LSQ)
 * @param bits     bits a stored code takes
 * @param codes    integer-valued codes, the weight's shape: ternary {-1, 0, 1}, k-bit -levels..levels
 * @param scales   one value ({@link Scaling#PER_TENSOR}), one per output channel ({@link Scaling#PER_CHANNEL}, axis
 *                 0), or TTQ's W_p and W_n ({@link Scaling#POSITIVE_NEGATIVE})
 * @param scaling  how {@code scales} apply to {@code codes}
 * @param encoding what a size table calls it: "ternary", "4-bit", "ttq", "lsq 4-bit"
 */
public record WeightGrid(WeightMethod method, int bits, INDArray codes, float[] scales, Scaling scaling,
                         String encoding) {

    /** How the scales multiply the codes. */
    public enum Scaling {
        /** q = code · scale. */
        PER_TENSOR,
        /** q = code · scale[c] for output channel c (the weight's first axis). */
        PER_CHANNEL,
        /** TTQ: q = W_p where the code is +1, -W_n where it is -1 (scales = {W_p, W_n}). */
        POSITIVE_NEGATIVE
    }

    /** The scaling one or more scale values mean for codes times a scale. */
    static Scaling of(float[] scales) {
        return scales.length == 1 ? Scaling.PER_TENSOR : Scaling.PER_CHANNEL;
    }
}
