package org.apprentice.export;

import java.util.Map;
import org.apprentice.model.OutputHead;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The deployable form of a trained student: the same graph with its weight quantizers taken out and q(W) stored as the
 * weights (plain DL4J convolutions and dense layers load and run it; a learned quantizer's scales or steps are folded
 * into q(W)), and a plain softmax cross-entropy output instead of the distillation loss. Activation quantizers stay:
 * no stock DL4J activation rounds, so a student with quantized activations still needs Apprentice's classes.
 */
public final class Exporter {
    private Exporter() {
    }

    /** A new graph computing the same predictions as {@code student}, with quantized weights stored. */
    public static ComputationGraph deployable(ComputationGraph student) {
        ComputationGraphConfiguration conf = ResNetBuilder.withHead(student.getConfiguration(),
                OutputHead.softmaxCrossEntropy());
        for (GraphVertex vertex : conf.getVertices().values()) {
            WeightQuantization q = vertex instanceof LayerVertex lv ? WeightQuantization.of(lv.getLayerConf().getLayer())
                    : null;
            if (q != null) {
                LayerVertex lv = (LayerVertex) vertex;
                lv.getLayerConf().setLayer(q.withoutQuantizer(lv.getLayerConf().getLayer()));
            }
        }
        ComputationGraph out = new ComputationGraph(conf);
        out.init();
        for (Layer layer : student.getLayers()) {
            Layer target = out.getLayer(layer.conf().getLayer().getLayerName());
            WeightQuantization q = WeightQuantization.of(layer.conf().getLayer());
            for (Map.Entry<String, INDArray> e : target.paramTable().entrySet()) {
                boolean weight = layer.conf().getLayer().initializer().isWeightParam(layer.conf().getLayer(), e.getKey());
                e.getValue().assign(q != null && weight ? q.effectiveWeights(layer) : layer.getParam(e.getKey()));
            }
        }
        return out;
    }
}
