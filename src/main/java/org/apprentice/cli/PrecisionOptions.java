package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionFlags;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.WeightMethod;

/** The precision flags shared by every command that builds a student. */
final class PrecisionOptions {
    @Parameter(names = "--bits", description = "Weight bits: 2 (ternary), 3..8 (k-bit), 32 (full precision). Default: 32 for summary and for --scheme none, 2 for schemes A, B, C")
    Integer bits;

    @Parameter(names = "--act-bits", description = "Activation bits: 2..8, 32 (full precision). Default: 32 with full-precision weights, else 8")
    Integer actBits;

    @Parameter(names = "--weight-scaling", description = "k-bit weight scaling before rounding: layer (max|w| per layer), "
            + "channel (per output channel), none (WRPN, clip to [-1, 1])")
    String weightScaling = "layer";

    @Parameter(names = "--weights", description = "How quantized weights are quantized: fixed (TWN ternary, k-bit: the paper's), "
            + "ttq (trained ternary: learned positive and negative scales; --bits 2), lsq (learned step size; per output "
            + "channel with --weight-scaling channel)")
    String weights = "fixed";

    @Parameter(names = "--activations", description = "How quantized activations are quantized: fixed (clip to [0, 1]: the "
            + "paper's), pact (clip to a learned α), lsq (learned step size)")
    String activations = "fixed";

    @Parameter(names = "--quantize-first", description = "Also quantize the first (stem) convolution")
    boolean quantizeFirst;

    @Parameter(names = "--quantize-last", description = "Also quantize the last (fc) layer")
    boolean quantizeLast;

    @Parameter(names = "--override", description = "Per-layer precision NAME=W[,A] (e.g. layer4.1.conv2=32 or conv1=4,8); repeatable")
    List<String> overrides = new ArrayList<>();

    PrecisionSpec spec() {
        return spec(LayerPrecision.FULL);
    }

    /** The spec, with {@code defaultBits} for the weights when --bits is not given. */
    PrecisionSpec spec(int defaultBits) {
        PrecisionFlags flags = PrecisionFlags.NONE.withBits(bits).withActBits(actBits)
                .withScaling(PrecisionFlags.parseScaling(weightScaling)).withWeights(WeightMethod.parse(weights))
                .withActivations(ActivationMethod.parse(activations)).withQuantizeFirst(quantizeFirst)
                .withQuantizeLast(quantizeLast);
        for (String override : overrides) {
            flags = flags.withOverride(override);
        }
        return flags.spec(defaultBits);
    }
}
