package org.apprentice.model;

import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.apprentice.quant.ActivationQuantization;
import org.apprentice.quant.WeightQuantization;

/** Counts parameters the way PyTorch does: batch-norm running statistics are not trainable. */
public final class Parameters {
    private static final Set<String> RUNNING_STATISTICS = Set.of(
            BatchNormalizationParamInitializer.GLOBAL_MEAN,
            BatchNormalizationParamInitializer.GLOBAL_VAR,
            BatchNormalizationParamInitializer.GLOBAL_LOG_STD);

    private Parameters() {
    }

    public static long trainable(ComputationGraph graph) {
        long total = 0;
        for (Layer layer : graph.getLayers()) {
            total += trainable(layer);
        }
        return total;
    }

    public static long trainable(Layer layer) {
        long total = 0;
        boolean batchNorm = layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization;
        for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
            if (!(batchNorm && RUNNING_STATISTICS.contains(e.getKey()))) {
                total += e.getValue().length();
            }
        }
        return total;
    }

    /** Whether {@code key} of {@code layer} is a running statistic (excluded from gradient checks). */
    public static boolean isRunningStatistic(Layer layer, String key) {
        return layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization
                && RUNNING_STATISTICS.contains(key);
    }

    /**
     * Whether {@code key} ("layer_param", as in {@code ComputationGraph.paramTable()}) is a learned quantizer's
     * parameter: TTQ's scales or LSQ's step of a weight quantizer, PACT's α or LSQ's step of an activation quantizer.
     */
    public static boolean isLearnedQuantizer(ComputationGraph graph, String key) {
        int split = key.lastIndexOf('_');
        Layer layer = split < 0 ? null : graph.getLayer(key.substring(0, split));
        if (layer == null) {
            return false;
        }
        String param = key.substring(split + 1);
        WeightQuantization weights = WeightQuantization.of(layer.conf().getLayer());
        ActivationQuantization activations = ActivationQuantization.of(layer.conf().getLayer());
        return weights != null && weights.parameters().contains(param)
                || activations != null && activations.parameters().contains(param);
    }
}
