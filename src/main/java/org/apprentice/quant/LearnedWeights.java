package org.apprentice.quant;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.weightnoise.IWeightNoise;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learned weight quantizer (TTQ or LSQ) in a {@link LearnedConvolution}'s weight-noise slot: every forward and
 * backward pass sees q(W; p) with p the layer's own learned parameters; {@link LearnedConvolutionLayer} turns the
 * gradient DL4J computes with respect to q(W) into the quantizer's gradients for W and p. Serialises with the
 * model (Jackson bean), so a zip records which quantizer each layer uses.
 */
public final class LearnedWeights implements IWeightNoise, WeightQuantization {
    private static final long serialVersionUID = 1L;

    private WeightMethod method = WeightMethod.LSQ;
    private int bits = 2;
    private boolean perChannel;
    private boolean enabled = true;

    /** For Jackson. */
    public LearnedWeights() {
    }

    /** {@code enabled = false}: the exact quantizer (rounding off), for gradient checks. */
    public LearnedWeights(WeightMethod method, int bits, boolean perChannel, boolean enabled) {
        if (method == WeightMethod.FIXED) {
            throw new IllegalArgumentException("fixed weights are QuantizedWeights, not learned");
        }
        if (method == WeightMethod.TTQ && bits != 2) {
            throw new IllegalArgumentException("--weights ttq is ternary: it needs --bits 2, got " + bits);
        }
        this.method = method;
        this.bits = bits;
        this.perChannel = perChannel && method == WeightMethod.LSQ;
        this.enabled = enabled;
        quantizer(); // validates
    }

    public LearnedQuantizer quantizer() {
        return method.quantizer(bits, perChannel, !enabled);
    }

    /** q(W; p) of the layer, initialising p from W the first time. */
    public INDArray effectiveWeights(Layer layer) {
        INDArray w = layer.getParam("W");
        LearnedQuantizer q = quantizer();
        LearnedParameters.initialiseIfUnset(q, layer.paramTable(), w);
        return q.quantize(ArrayOps.COPYING, w, LearnedParameters.values(q, layer.paramTable(), w.rank()));
    }

    /** The integer codes of the layer's q(W): TTQ's -1/0/+1, LSQ's levels round(clip(W/s)). */
    public INDArray codes(Layer layer) {
        INDArray w = layer.getParam("W");
        LearnedQuantizer q = quantizer();
        LearnedParameters.initialiseIfUnset(q, layer.paramTable(), w);
        return q instanceof TtqWeights ttq ? ttq.codes(ArrayOps.COPYING, w)
                : ((LsqQuantizer) q).codes(ArrayOps.COPYING, w, LearnedParameters.values(q, layer.paramTable(), w.rank()));
    }

    /** What multiplies the codes: TTQ's W_p and W_n (q = W_p on +1, -W_n on -1), or LSQ's step(s). */
    public float[] scales(Layer layer) {
        java.util.List<float[]> parts = quantizer().parameters().stream()
                .map(name -> layer.getParam(name).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat())
                .toList();
        float[] out = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    @Override
    public INDArray getParameter(Layer layer, String paramKey, int iteration, int epoch, boolean train,
                                 LayerWorkspaceMgr workspaceMgr) {
        INDArray param = layer.getParam(paramKey);
        if (!layer.conf().getLayer().initializer().isWeightParam(layer.conf().getLayer(), paramKey)) {
            return param;
        }
        INDArray out = workspaceMgr.createUninitialized(ArrayType.INPUT, param.dataType(), param.shape(), param.ordering());
        try (MemoryWorkspace ws = ScratchWorkspace.open()) {
            LearnedQuantizer q = quantizer();
            LearnedParameters.initialiseIfUnset(q, layer.paramTable(), param);
            List<INDArray> p = LearnedParameters.values(q, layer.paramTable(), param.rank());
            if (q.inPlaceSafe()) {
                q.quantize(ArrayOps.IN_PLACE, out.assign(param), p);
            } else {
                out.assign(q.quantize(ArrayOps.COPYING, param, p));
            }
        }
        return out;
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public WeightMethod method() {
        return method;
    }

    /** TTQ's ternary codes with W_p and W_n; LSQ's levels with its step(s). */
    @Override
    public WeightGrid grid(Layer layer) {
        INDArray codes = codes(layer); // sets the learned scales from W the first time
        float[] scales = scales(layer);
        boolean ttq = method == WeightMethod.TTQ;
        return new WeightGrid(method, bits, codes, scales,
                ttq ? WeightGrid.Scaling.POSITIVE_NEGATIVE : WeightGrid.of(scales), ttq ? "ttq" : "lsq " + bits + "-bit");
    }

    @Override
    public java.util.List<String> parameters() {
        return quantizer().parameters();
    }

    /** The plain DL4J convolution the learned one computes with, once its quantized weights are stored. */
    @Override
    public org.deeplearning4j.nn.conf.layers.Layer withoutQuantizer(org.deeplearning4j.nn.conf.layers.Layer conf) {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = (org.deeplearning4j.nn.conf.layers.ConvolutionLayer) conf;
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer conv = new org.deeplearning4j.nn.conf.layers.ConvolutionLayer
                .Builder(c.getKernelSize()).stride(c.getStride()).padding(c.getPadding())
                .dilation(c.getDilation()).nIn(c.getNIn()).nOut(c.getNOut()).hasBias(c.hasBias())
                .activation(c.getActivationFn()).convolutionMode(c.getConvolutionMode()).dataFormat(c.getCnn2dDataFormat())
                .name(c.getLayerName()).build();
        conv.setIUpdater(c.getIUpdater());
        conv.setBiasUpdater(c.getBiasUpdater());
        conv.setRegularization(c.getRegularization());
        conv.setRegularizationBias(c.getRegularizationBias());
        conv.setWeightInitFn(c.getWeightInitFn());
        return conv;
    }

    @Override
    public String describe() {
        return quantizer().describe();
    }

    @Override
    public LearnedWeights clone() {
        return new LearnedWeights(method, bits, perChannel, enabled);
    }

    public WeightMethod getMethod() {
        return method;
    }

    public void setMethod(WeightMethod method) {
        this.method = method;
    }

    public int getBits() {
        return bits;
    }

    public void setBits(int bits) {
        this.bits = bits;
    }

    public boolean isPerChannel() {
        return perChannel;
    }

    public void setPerChannel(boolean perChannel) {
        this.perChannel = perChannel;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LearnedWeights other && other.method == method && other.bits == bits
                && other.perChannel == perChannel && other.enabled == enabled;
    }

    @Override
    public int hashCode() {
        return Objects.hash(method, bits, perChannel, enabled);
    }

    @Override
    public String toString() {
        return "LearnedWeights(" + describe() + ")";
    }
}
