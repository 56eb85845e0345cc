package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.WeightMethod;
import org.apprentice.train.RunSettings;

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
        int bits = this.bits != null ? this.bits : defaultBits;
        int actBits = this.actBits != null ? this.actBits : RunSettings.defaultActivationBits(bits);
        org.apprentice.quant.BitWidth.requireOrFull(bits, "--bits");
        org.apprentice.quant.BitWidth.requireOrFull(actBits, "--act-bits");
        WeightMethod weightMethod = WeightMethod.parse(weights);
        ActivationMethod activationMethod = ActivationMethod.parse(activations);
        if (weightMethod == WeightMethod.TTQ && bits != 2) {
            throw new IllegalArgumentException("--weights ttq is ternary: it needs --bits 2, got --bits " + bits);
        }
        PrecisionSpec spec = PrecisionSpec.of(bits, actBits).withQuantizedEnds(quantizeFirst, quantizeLast)
                .withWeightScaling(scaling()).withMethods(weightMethod, activationMethod);
        for (String override : overrides) {
            String[] nameAndBits = override.split("=", 2);
            if (nameAndBits.length != 2 || nameAndBits[0].isBlank()) {
                throw new IllegalArgumentException("--override '" + override + "' is not NAME=W[,A]");
            }
            String[] parts = nameAndBits[1].split(",");
            try {
                int w = Integer.parseInt(parts[0].trim());
                int a = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : actBits;
                spec = spec.withOverride(nameAndBits[0].trim(), new LayerPrecision(w, a));
            } catch (IllegalArgumentException e) {
                if (!(e instanceof NumberFormatException)) {
                    throw new IllegalArgumentException("--override '" + override + "': " + e.getMessage());
                }
                throw new IllegalArgumentException("--override '" + override + "' is not NAME=W[,A] with integer bits");
            }
        }
        return spec;
    }

    private KBitWeights.Scaling scaling() {
        return switch (weightScaling.toLowerCase()) {
            case "layer" -> KBitWeights.Scaling.PER_LAYER;
            case "channel" -> KBitWeights.Scaling.PER_CHANNEL;
            case "none" -> KBitWeights.Scaling.NONE;
            default -> throw new IllegalArgumentException("--weight-scaling '" + weightScaling
                    + "' is not one of layer, channel, none");
        };
    }
}
