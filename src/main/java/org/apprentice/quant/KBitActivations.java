package org.apprentice.quant;

/**
 * k-bit activations (WRPN/DoReFa): clip to [0, 1], then round((2^k - 1)·a)/(2^k - 1). In a quantized
 * layer this replaces the ReLU. STE: gradient 1 inside [0, 1] (bounds included), 0 outside.
 * Rounding is half to even, as {@code torch.round}.
 */
public record KBitActivations(int bits) implements Quantizer {

    public KBitActivations {
        BitWidth.require(bits, "k-bit activations");
    }

    /** Steps between 0 and 1: 2^k - 1. */
    public int steps() {
        return BitWidth.levels(bits, false);
    }

    @Override
    public <T> T quantize(TensorOps<T> ops, T a) {
        return ops.div(ops.round(ops.mul(ops.clip(a, 0.0, 1.0), steps())), steps());
    }

    @Override
    public <T> T steMask(TensorOps<T> ops, T a) {
        return ops.inRange(a, 0.0, 1.0);
    }

    /** The input is read once: clip, scale, round, unscale can overwrite it. */
    @Override
    public boolean inPlaceSafe() {
        return true;
    }

    @Override
    public String describe() {
        return bits + "-bit activations in [0, 1]";
    }
}
