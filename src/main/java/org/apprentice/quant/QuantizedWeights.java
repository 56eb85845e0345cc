package org.apprentice.quant;

import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.weightnoise.IWeightNoise;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Puts a {@link WeightQuantizer} into a standard DL4J {@code ConvolutionLayer} or {@code DenseLayer}
 * through the layer's weight-noise slot: every forward and backward pass sees q(W), DL4J computes
 * the gradient with respect to q(W) and applies it to the full-precision W (the shadow weights the
 * optimizer updates). q(W) is computed on arrays ({@link ArrayOps#COPYING}) from the quantizer's one
 * definition. That is exactly the identity straight-through estimator, on DL4J's native
 * (oneDNN) convolution path; biases stay full precision. Serialises with the model (Jackson bean).
 */
public final class QuantizedWeights implements IWeightNoise, WeightQuantization {
    private static final long serialVersionUID = 1L;

    private int bits;
    private KBitWeights.Scaling scaling = KBitWeights.Scaling.PER_LAYER;
    private boolean enabled = true;

    /** For Jackson. */
    public QuantizedWeights() {
    }

    public QuantizedWeights(int bits, KBitWeights.Scaling scaling) {
        this(bits, scaling, true);
    }

    /** With {@code enabled = false} the layer keeps its slot but passes W unchanged (for gradient checks). */
    public QuantizedWeights(int bits, KBitWeights.Scaling scaling, boolean enabled) {
        this.bits = bits;
        this.scaling = scaling;
        this.enabled = enabled;
        quantizer(); // validates
    }

    /** Ternary (TWN) for 2 bits, k-bit with the configured scaling for 3..8 bits. */
    public WeightQuantizer quantizer() {
        return Quantizers.weights(bits, scaling);
    }

    @Override
    public INDArray getParameter(Layer layer, String paramKey, int iteration, int epoch, boolean train,
                                 LayerWorkspaceMgr workspaceMgr) {
        INDArray param = layer.getParam(paramKey);
        ParamInitializer init = layer.conf().getLayer().initializer();
        if (!enabled || !init.isWeightParam(layer.conf().getLayer(), paramKey)) {
            return param;
        }
        INDArray out = workspaceMgr.createUninitialized(ArrayType.INPUT, param.dataType(), param.shape(),
                param.ordering());
        try (MemoryWorkspace ws = ScratchWorkspace.open()) {
            out.assign(quantizer().quantize(ArrayOps.COPYING, param));
        }
        return out;
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public INDArray effectiveWeights(Layer layer) {
        return quantizer().quantize(ArrayOps.COPYING, layer.getParam("W"));
    }

    @Override
    public WeightMethod method() {
        return WeightMethod.FIXED;
    }

    /** The quantizer's codes and scale(s): ternary with one scale, k-bit with one per layer or per output channel. */
    @Override
    public WeightGrid grid(Layer layer) {
        WeightQuantizer q = quantizer();
        INDArray w = layer.getParam("W");
        float[] scales = q.scale(ArrayOps.COPYING, w).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data()
                .asFloat();
        return new WeightGrid(WeightMethod.FIXED, q.bits(), q.codes(ArrayOps.COPYING, w), scales, WeightGrid.of(scales),
                q.bits() == 2 ? "ternary" : q.bits() + "-bit");
    }

    @Override
    public java.util.List<String> parameters() {
        return java.util.List.of();
    }

    /** The same layer with its weight-noise slot emptied. */
    @Override
    public org.deeplearning4j.nn.conf.layers.Layer withoutQuantizer(org.deeplearning4j.nn.conf.layers.Layer conf) {
        ((org.deeplearning4j.nn.conf.layers.BaseLayer) conf).setWeightNoise(null);
        return conf;
    }

    @Override
    public String describe() {
        return quantizer().describe();
    }

    @Override
    public QuantizedWeights clone() {
        return new QuantizedWeights(bits, scaling, enabled);
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getBits() {
        return bits;
    }

    public void setBits(int bits) {
        this.bits = bits;
    }

    public KBitWeights.Scaling getScaling() {
        return scaling;
    }

    public void setScaling(KBitWeights.Scaling scaling) {
        this.scaling = scaling;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantizedWeights other && other.bits == bits && other.scaling == scaling
                && other.enabled == enabled;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bits, scaling, enabled);
    }

    @Override
    public String toString() {
        return "QuantizedWeights(" + quantizer().describe() + (enabled ? "" : ", off") + ")";
    }
}
