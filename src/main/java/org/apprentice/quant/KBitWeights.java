package org.apprentice.quant;

/**
 * k-bit weights with one bit for the sign: n = 2^(k-1) - 1 levels each side, codes in [-n, n].
 *
 * <ul>
 *   <li>{@link Scaling#NONE}: the WRPN rule, clip w to [-1, 1] then round(n·w)/n. He-initialised
 *       weights are far below 1 (std √(2/fan_in), about 0.06 for a 3x3x64 convolution), so at 4 bits
 *       (steps of 1/7) most of them round to zero. Optional STE mask |w| ≤ 1.</li>
 *   <li>{@link Scaling#PER_LAYER} (<b>the default</b>): divide by s = max|w| first,
 *       q(w) = s·round(n·w/s)/n, so the 2n+1 levels span the layer's actual range and none is
 *       wasted; nothing is clipped, so the identity STE is exact.</li>
 *   <li>{@link Scaling#PER_CHANNEL}: the same with one s per output channel (dimension 0, as in
 *       DL4J's convolution weights [out, in, kH, kW]).</li>
 * </ul>
 * Rounding is half to even, as {@code torch.round}. An all-zero tensor keeps scale s = 1.
 */
public record KBitWeights(int bits, Scaling scaling, boolean maskClipped) implements WeightQuantizer {

    /** How weights are brought into [-1, 1] before rounding. */
    public enum Scaling { NONE, PER_LAYER, PER_CHANNEL }

    public KBitWeights {
        BitWidth.require(bits, "k-bit weights");
    }

    public KBitWeights(int bits) {
        this(bits, Scaling.PER_LAYER, false);
    }

    /** Levels on each side of zero: 2^(k-1) - 1. */
    public int levels() {
        return BitWidth.levels(bits, true);
    }

    /** s: max|w| per layer or per output channel (1 where all are zero), or null for NONE. */
    private <T> T range(TensorOps<T> ops, T w) {
        return switch (scaling) {
            case NONE -> null;
            case PER_LAYER -> ops.positiveOrOne(ops.max(ops.abs(w)));
            case PER_CHANNEL -> ops.positiveOrOne(ops.maxPerChannel(ops.abs(w)));
        };
    }

    @Override
    public <T> T codes(TensorOps<T> ops, T w) {
        T s = range(ops, w);
        T unit = s == null ? ops.clip(w, -1.0, 1.0) : ops.clip(ops.div(w, s), -1.0, 1.0);
        return ops.round(ops.mul(unit, levels()));
    }

    @Override
    public <T> T scale(TensorOps<T> ops, T w) {
        T s = range(ops, w);
        return ops.div(s == null ? ops.constant(w, 1.0) : s, levels());
    }

    @Override
    public <T> T steMask(TensorOps<T> ops, T w) {
        return maskClipped && scaling == Scaling.NONE ? ops.inRange(w, -1.0, 1.0) : null;
    }

    @Override
    public String describe() {
        return bits + "-bit weights (" + switch (scaling) {
            case NONE -> "WRPN, clipped to [-1, 1]";
            case PER_LAYER -> "scaled by max|w| per layer";
            case PER_CHANNEL -> "scaled by max|w| per output channel";
        } + ")";
    }
}
