package org.apprentice.model;

import java.util.Map;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.api.Layer;
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
                    long scales = quantized.parameters().isEmpty() ? quantized.grid(layer).scales().length : 0;
                    lowBits += (long) quantized.bits() * n + 32 * scales;
                } else {
                    lowBits += 32 * n;
                }
            }
        }
        return new ModelSize(fp32Bits / 8, (lowBits + 7) / 8);
    }

    /** Megabytes (10^6 bytes) with two decimals. */
    public static String megabytes(long bytes) {
        return String.format("%.2f MB", bytes / 1e6);
    }

    public double compression() {
        return (double) fp32Bytes / lowPrecisionBytes;
    }
}
