package org.apprentice.quant;

import org.apprentice.io.FlagValues;

/** How a low-precision layer's weights are quantized: a fixed rule (TWN ternary, k-bit), or learned (TTQ, LSQ). */
public enum WeightMethod {
    /** TWN ternary for 2 bits, k-bit levels for 3..8 bits: the paper's, and the default. */
    FIXED("fixed"),
    /** Trained ternary quantization: learned positive and negative scales (2 bits only). */
    TTQ("ttq"),
    /** Learned step size, per layer or per output channel. */
    LSQ("lsq");

    private final String flag;

    WeightMethod(String flag) {
        this.flag = flag;
    }

    public String flag() {
        return flag;
    }

    public static WeightMethod parse(String text) {
        return FlagValues.parse("--weights", text, values(), WeightMethod::flag);
    }

    /** The learned quantizer for {@code bits}-bit weights ({@code exact}: rounding off, for gradient checks). */
    public LearnedQuantizer quantizer(int bits, boolean perChannel, boolean exact) {
        return switch (this) {
            case FIXED -> throw new IllegalStateException("fixed weights have no learned quantizer");
            case TTQ -> new TtqWeights(TtqWeights.DEFAULT_THRESHOLD, exact);
            case LSQ -> new LsqQuantizer(bits, true, perChannel, exact);
        };
    }
}
