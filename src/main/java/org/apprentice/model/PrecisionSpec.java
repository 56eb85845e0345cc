package org.apprentice.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.WeightMethod;

/**
 * The precision of every layer of a network: one precision for the body, full precision for the
 * first and last layers unless told otherwise (as the paper and WRPN do), and per-layer overrides
 * by layer name (e.g. "layer1.0.conv1"). Immutable; the {@code with*} methods return new specs.
 */
public final class PrecisionSpec {
    private final LayerPrecision body;
    private final boolean quantizeFirst;
    private final boolean quantizeLast;
    private final Map<String, LayerPrecision> overrides;
    private final KBitWeights.Scaling weightScaling;
    private final boolean roundingEnabled;
    private final WeightMethod weights;
    private final ActivationMethod activations;

    private PrecisionSpec(LayerPrecision body, boolean quantizeFirst, boolean quantizeLast,
                          Map<String, LayerPrecision> overrides, KBitWeights.Scaling weightScaling,
                          boolean roundingEnabled) {
        this(body, quantizeFirst, quantizeLast, overrides, weightScaling, roundingEnabled, WeightMethod.FIXED,
                ActivationMethod.FIXED);
    }

    private PrecisionSpec(LayerPrecision body, boolean quantizeFirst, boolean quantizeLast,
                          Map<String, LayerPrecision> overrides, KBitWeights.Scaling weightScaling,
                          boolean roundingEnabled, WeightMethod weights, ActivationMethod activations) {
        this.weights = weights;
        this.activations = activations;
        this.roundingEnabled = roundingEnabled;
        this.body = body;
        this.quantizeFirst = quantizeFirst;
        this.quantizeLast = quantizeLast;
        this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
        this.weightScaling = weightScaling;
    }

    /** Every layer in full precision: a teacher, or a full-precision student. */
    public static PrecisionSpec fullPrecision() {
        return of(LayerPrecision.FULL, LayerPrecision.FULL);
    }

    /** The body at the given weight/activation bits; first and last layers full precision. */
    public static PrecisionSpec of(int weightBits, int activationBits) {
        return new PrecisionSpec(new LayerPrecision(weightBits, activationBits), false, false, Map.of(),
                KBitWeights.Scaling.PER_LAYER, true);
    }

    /** Also quantize the first (stem) convolution and/or the last (classifier) layer. */
    public PrecisionSpec withQuantizedEnds(boolean first, boolean last) {
        return new PrecisionSpec(body, first, last, overrides, weightScaling, roundingEnabled, weights, activations);
    }

    /** The layer named {@code layerName} gets {@code precision}, whatever its role. */
    public PrecisionSpec withOverride(String layerName, LayerPrecision precision) {
        Map<String, LayerPrecision> copy = new LinkedHashMap<>(overrides);
        copy.put(layerName, precision);
        return new PrecisionSpec(body, quantizeFirst, quantizeLast, copy, weightScaling, roundingEnabled, weights, activations);
    }

    /**
     * How k-bit (3..8 bit) weights are scaled before rounding. Default PER_LAYER (divide by max|w|):
     * WRPN's unscaled rule rounds most He-initialised weights to zero (see {@link KBitWeights}).
     */
    public PrecisionSpec withWeightScaling(KBitWeights.Scaling scaling) {
        return new PrecisionSpec(body, quantizeFirst, quantizeLast, overrides, scaling, roundingEnabled, weights, activations);
    }

    /**
     * The same layers and quantizer slots with the rounding switched off: weights pass unchanged and
     * activations are only clipped to [0, 1]. Makes a quantized network differentiable, for gradient checks.
     */
    public PrecisionSpec withRoundingOff() {
        return new PrecisionSpec(body, quantizeFirst, quantizeLast, overrides, weightScaling, false, weights, activations);
    }

    /**
     * The same precision with learned quantizers: TTQ or LSQ weights (convolutions; the fc layer keeps the fixed rule
     * when quantized), PACT or LSQ activations. {@code FIXED} keeps the paper's rules.
     */
    public PrecisionSpec withMethods(WeightMethod weightMethod, ActivationMethod activationMethod) {
        return new PrecisionSpec(body, quantizeFirst, quantizeLast, overrides, weightScaling, roundingEnabled,
                weightMethod == null ? WeightMethod.FIXED : weightMethod,
                activationMethod == null ? ActivationMethod.FIXED : activationMethod);
    }

    /** "fp32", "w2a4", or with learned quantizers "w2a4 ttq/pact" (weights/activations). */
    public String label() {
        boolean learned = weights != WeightMethod.FIXED || activations != ActivationMethod.FIXED;
        return body.label() + (learned && !body.isFullPrecision() ? " " + weights.flag() + "/" + activations.flag() : "");
    }

    /** How quantized weights are quantized: the fixed rule, TTQ or LSQ. */
    public WeightMethod weights() {
        return weights;
    }

    /** How quantized activations are quantized: the fixed [0, 1] rule, PACT or LSQ. */
    public ActivationMethod activations() {
        return activations;
    }

    public boolean roundingEnabled() {
        return roundingEnabled;
    }

    public KBitWeights.Scaling weightScaling() {
        return weightScaling;
    }

    /** The precision of the layer named {@code layerName} in position {@code role}. */
    public LayerPrecision forLayer(String layerName, LayerRole role) {
        LayerPrecision override = overrides.get(layerName);
        if (override != null) {
            return override;
        }
        return switch (role) {
            case FIRST -> quantizeFirst ? body : LayerPrecision.FULL_PRECISION;
            case LAST -> quantizeLast ? body : LayerPrecision.FULL_PRECISION;
            case BODY -> body;
        };
    }

    public LayerPrecision body() {
        return body;
    }

    public Map<String, LayerPrecision> overrides() {
        return overrides;
    }

    /** Whether the first (stem) convolution takes the body's precision rather than full precision. */
    public boolean quantizeFirst() {
        return quantizeFirst;
    }

    /** Whether the last (classifier) layer takes the body's precision rather than full precision. */
    public boolean quantizeLast() {
        return quantizeLast;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrecisionSpec p && body.equals(p.body) && quantizeFirst == p.quantizeFirst
                && quantizeLast == p.quantizeLast && overrides.equals(p.overrides) && weightScaling == p.weightScaling
                && roundingEnabled == p.roundingEnabled && weights == p.weights && activations == p.activations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(body, quantizeFirst, quantizeLast, overrides, weightScaling, roundingEnabled, weights, activations);
    }

    /** True when no layer, override included, is quantized. */
    public boolean isFullPrecision() {
        return body.isFullPrecision()
                && overrides.values().stream().allMatch(LayerPrecision::isFullPrecision);
    }

    @Override
    public String toString() {
        return body.label() + (weights == WeightMethod.FIXED ? "" : ", " + weights.flag() + " weights")
                + (activations == ActivationMethod.FIXED ? "" : ", " + activations.flag() + " activations") + (quantizeFirst ? "" : ", first layer fp32") + (quantizeLast ? "" : ", last layer fp32")
                + (overrides.isEmpty() ? "" : ", overrides " + overrides);
    }
}
