package org.apprentice.quant;

/**
 * A weight quantizer of the form q(w) = scale · codes(w): integer codes (ternary {-1, 0, +1}, or k-bit
 * levels) times a full-precision scale, per layer or per output channel. The codes and the scale are
 * what a packed low-bit model stores.
 */
public interface WeightQuantizer extends Quantizer {

    /** Integer-valued codes, same shape as w. */
    <T> T codes(TensorOps<T> ops, T w);

    /** The scale: a scalar, or one value per output channel broadcastable against w. */
    <T> T scale(TensorOps<T> ops, T w);

    /** Bits a stored code takes. */
    int bits();

    @Override
    default <T> T quantize(TensorOps<T> ops, T w) {
        return ops.mul(codes(ops, w), scale(ops, w));
    }
}
