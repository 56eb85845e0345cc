package org.apprentice.quant;

import org.apprentice.io.FlagValues;

/** How a low-precision layer's activations are quantized: the fixed [0, 1] clip, or learned (PACT, LSQ). */
public enum ActivationMethod {
    /** Clip to [0, 1], k-bit levels (WRPN/DoReFa): the paper's, and the default. */
    FIXED("fixed"),
    /** Clip to [0, α] with α learned per layer. */
    PACT("pact"),
    /** Learned step size per layer. */
    LSQ("lsq");

    private final String flag;

    ActivationMethod(String flag) {
        this.flag = flag;
    }

    public String flag() {
        return flag;
    }

    public static ActivationMethod parse(String text) {
        return FlagValues.parse("--activations", text, values(), ActivationMethod::flag);
    }

    /** The learned quantizer for {@code bits}-bit activations ({@code exact}: rounding off, for gradient checks). */
    public LearnedQuantizer quantizer(int bits, boolean exact) {
        return switch (this) {
            case FIXED -> throw new IllegalStateException("fixed activations have no learned quantizer");
            case PACT -> new PactActivations(bits, exact);
            case LSQ -> new LsqQuantizer(bits, false, false, exact);
        };
    }
}
