package org.apprentice.export;

import java.util.Map;
import org.apprentice.model.ModelSize;
import org.apprentice.model.OutputHead;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.ArrayOps;
import org.apprentice.quant.QuantizedWeights;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The deployable form of a trained student: the same graph with its weight quantizers taken out and
 * q(W) stored as the weights (plain DL4J convolutions and dense layers load and run it), and a plain
 * softmax cross-entropy output instead of the distillation loss. Activation quantizers stay: no stock
 * DL4J activation rounds, so a student with quantized activations still needs Apprentice's classes.
 */
public final class Exporter {
    private Exporter() {
    }

    /** A new graph computing the same predictions as {@code student}, with quantized weights stored. */
    public static ComputationGraph deployable(ComputationGraph student) {
        ComputationGraphConfiguration conf = ResNetBuilder.withHead(student.getConfiguration(),
                OutputHead.softmaxCrossEntropy());
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer base
                    && base.getWeightNoise() instanceof QuantizedWeights) {
                base.setWeightNoise(null);
            }
        }
        ComputationGraph out = new ComputationGraph(conf);
        out.init(student.params().dup(), false);
        for (Layer layer : student.getLayers()) {
            QuantizedWeights q = ModelSize.quantizerOf(layer);
            if (q == null) {
                continue;
            }
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                if (layer.conf().getLayer().initializer().isWeightParam(layer.conf().getLayer(), e.getKey())) {
                    out.getLayer(name).setParam(e.getKey(), q.quantizer().quantize(ArrayOps.COPYING, e.getValue()));
                }
            }
        }
        return out;
    }
}
