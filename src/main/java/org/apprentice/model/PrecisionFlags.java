package org.apprentice.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.BitWidth;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.WeightMethod;

/**
 * A student's precision as the flags (or a recipe's keys) give it, before the defaults that depend on the run are
 * applied: {@code --bits}, {@code --act-bits}, {@code --weight-scaling}, {@code --weights}, {@code --activations},
 * {@code --quantize-first}, {@code --quantize-last} and every {@code --override}. {@link #spec(int)} turns it into
 * the {@link PrecisionSpec} the model is built with, refusing bad values in one line that names the flag.
 *
 * @param bits      weight bits, or null: the run's default
 * @param actBits   activation bits, or null: {@link #defaultActivationBits} of the weight bits
 * @param overrides per-layer precisions as given, NAME=W[,A]
 */
public record PrecisionFlags(Integer bits, Integer actBits, KBitWeights.Scaling scaling, WeightMethod weights,
                             ActivationMethod activations, boolean quantizeFirst, boolean quantizeLast,
                             List<String> overrides) {
    /** No precision flag given. */
    public static final PrecisionFlags NONE = new PrecisionFlags(null, null, KBitWeights.Scaling.PER_LAYER,
            WeightMethod.FIXED, ActivationMethod.FIXED, false, false, List.of());

    public PrecisionFlags {
        Objects.requireNonNull(scaling, "scaling");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(activations, "activations");
        overrides = List.copyOf(overrides);
    }

    /** The activation bits when {@code --act-bits} is not given: full precision with full-precision weights, else 8. */
    public static int defaultActivationBits(int weightBits) {
        return weightBits == LayerPrecision.FULL ? LayerPrecision.FULL : 8;
    }

    public PrecisionFlags withBits(Integer v) {
        return new PrecisionFlags(v, actBits, scaling, weights, activations, quantizeFirst, quantizeLast, overrides);
    }

    public PrecisionFlags withActBits(Integer v) {
        return new PrecisionFlags(bits, v, scaling, weights, activations, quantizeFirst, quantizeLast, overrides);
    }

    public PrecisionFlags withScaling(KBitWeights.Scaling v) {
        return new PrecisionFlags(bits, actBits, v, weights, activations, quantizeFirst, quantizeLast, overrides);
    }

    public PrecisionFlags withWeights(WeightMethod v) {
        return new PrecisionFlags(bits, actBits, scaling, v, activations, quantizeFirst, quantizeLast, overrides);
    }

    public PrecisionFlags withActivations(ActivationMethod v) {
        return new PrecisionFlags(bits, actBits, scaling, weights, v, quantizeFirst, quantizeLast, overrides);
    }

    public PrecisionFlags withQuantizeFirst(boolean v) {
        return new PrecisionFlags(bits, actBits, scaling, weights, activations, v, quantizeLast, overrides);
    }

    public PrecisionFlags withQuantizeLast(boolean v) {
        return new PrecisionFlags(bits, actBits, scaling, weights, activations, quantizeFirst, v, overrides);
    }

    /** These flags with one more {@code --override NAME=W[,A]}. */
    public PrecisionFlags withOverride(String override) {
        List<String> more = new ArrayList<>(overrides);
        more.add(override);
        return new PrecisionFlags(bits, actBits, scaling, weights, activations, quantizeFirst, quantizeLast, more);
    }

    /** Parses {@code --weight-scaling}: layer (max|w| per layer), channel (per output channel), none (WRPN). */
    public static KBitWeights.Scaling parseScaling(String text) {
        return switch (text.trim().toLowerCase()) {
            case "layer" -> KBitWeights.Scaling.PER_LAYER;
            case "channel" -> KBitWeights.Scaling.PER_CHANNEL;
            case "none" -> KBitWeights.Scaling.NONE;
            default -> throw new IllegalArgumentException("--weight-scaling '" + text
                    + "' is not one of layer, channel, none");
        };
    }

    /** The spec, with {@code defaultBits} for the weights when --bits is not given. */
    public PrecisionSpec spec(int defaultBits) {
        int w = bits != null ? bits : defaultBits;
        int a = actBits != null ? actBits : defaultActivationBits(w);
        BitWidth.requireOrFull(w, "--bits");
        BitWidth.requireOrFull(a, "--act-bits");
        if (weights == WeightMethod.TTQ && w != 2) {
            throw new IllegalArgumentException("--weights ttq is ternary: it needs --bits 2, got --bits " + w);
        }
        PrecisionSpec spec = PrecisionSpec.of(w, a).withQuantizedEnds(quantizeFirst, quantizeLast)
                .withWeightScaling(scaling).withMethods(weights, activations);
        for (String override : overrides) {
            spec = withOverride(spec, override, a);
        }
        return spec;
    }

    private static PrecisionSpec withOverride(PrecisionSpec spec, String override, int actBits) {
        String[] nameAndBits = override.split("=", 2);
        if (nameAndBits.length != 2 || nameAndBits[0].isBlank()) {
            throw new IllegalArgumentException("--override '" + override + "' is not NAME=W[,A]");
        }
        String[] parts = nameAndBits[1].split(",");
        try {
            int w = Integer.parseInt(parts[0].trim());
            int a = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : actBits;
            return spec.withOverride(nameAndBits[0].trim(), new LayerPrecision(w, a));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--override '" + override + "' is not NAME=W[,A] with integer bits");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--override '" + override + "': " + e.getMessage());
        }
    }
}
