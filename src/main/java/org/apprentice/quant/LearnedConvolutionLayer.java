package org.apprentice.quant;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.apprentice.nn.FastConvolutionLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The layer of a {@link LearnedConvolution}: DL4J's convolution (whose backward pass reuses the forward's,
 * {@link FastConvolutionLayer}) computes with q(W; p) and leaves dL/dq in the weight
 * gradient; this turns it into the quantizer's gradients: dL/dp into the parameters' gradient views, then
 * dL/dW = dL/dq ⊙ ∂q/∂W (TTQ's scaled straight-through estimator, LSQ's clipped one).
 */
public class LearnedConvolutionLayer extends FastConvolutionLayer {

    public LearnedConvolutionLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        Pair<Gradient, INDArray> out = super.backpropGradient(epsilon, workspaceMgr);
        LearnedQuantizer q = ((LearnedConvolution) layerConf()).weights().quantizer();
        INDArray w = getParam("W");
        List<INDArray> p = LearnedParameters.values(q, paramTable(), w.rank());
        INDArray g = gradientViews.get("W");
        try (MemoryWorkspace ws = ScratchWorkspace.open()) {
            g.assign(LearnedParameters.gradients(q, w, p, g, gradientViews));
        }
        for (String name : q.parameters()) {
            out.getFirst().setGradientFor(name, gradientViews.get(name));
        }
        return out;
    }
}
