package org.apprentice.model;

import java.util.Map;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.QuantizedWeights;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Storage size of a network's trainable parameters: all at 32 bits, and at its precision (2 bits per
 * ternary weight, k bits per k-bit weight, one 32-bit scale per quantized layer or output channel,
 * everything else, including full-precision layers and batch norm, at 32 bits).
 */
public record ModelSize(long fp32Bytes, long lowPrecisionBytes) {

    public static ModelSize of(ComputationGraph net) {
        long fp32Bits = 0;
        long lowBits = 0;
        for (Layer layer : net.getLayers()) {
            WeightQuantization quantized = WeightQuantization.of(layer.conf().getLayer());
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                if (Parameters.isRunningStatistic(layer, e.getKey())) {
                    continue;
                }
                long n = e.getValue().length();
                fp32Bits += 32 * n;
                boolean weight = layer.conf().getLayer().initializer().isWeightParam(layer.conf().getLayer(), e.getKey());
                if (quantized != null && weight) {
                    // a fixed quantizer stores its scale(s) with the codes; a learned one has them as parameters
                    long scales = !(quantized instanceof QuantizedWeights fixed) ? 0
                            : fixed.getBits() > 2 && fixed.getScaling() == KBitWeights.Scaling.PER_CHANNEL ? e.getValue().size(0) : 1;
                    lowBits += (long) quantized.bits() * n + 32 * scales;
                } else {
                    lowBits += 32 * n;
                }
            }
        }
        return new ModelSize(fp32Bits / 8, (lowBits + 7) / 8);
    }

    /** The fixed (TWN or k-bit) weight quantizer of a layer, or null (full precision, or a learned quantizer). */
    public static QuantizedWeights quantizerOf(Layer layer) {
        return quantizerOf(layer.conf().getLayer());
    }

    public static QuantizedWeights quantizerOf(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof BaseLayer base && base.getWeightNoise() instanceof QuantizedWeights q) {
            return q;
        }
        return null;
    }

    /** Megabytes (10^6 bytes) with two decimals. */
    public static String megabytes(long bytes) {
        return String.format("%.2f MB", bytes / 1e6);
    }

    public double compression() {
        return (double) fp32Bytes / lowPrecisionBytes;
    }
}
