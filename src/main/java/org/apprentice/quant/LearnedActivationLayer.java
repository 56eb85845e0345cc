package org.apprentice.quant;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The layer of a {@link LearnedActivation}: q(x; p) forward; dL/dx and dL/dp from the quantizer's derivatives. */
public class LearnedActivationLayer extends BaseLayer<LearnedActivation> {

    public LearnedActivationLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private LearnedQuantizer quantizer() {
        return layerConf().quantizer();
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        LearnedQuantizer q = quantizer();
        LearnedParameters.initialiseIfUnset(q, paramTable(), input);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), input.shape(), 'c');
        List<INDArray> p = LearnedParameters.values(q, paramTable(), input.rank());
        if (q.inPlaceSafe()) {
            return q.quantize(ArrayOps.IN_PLACE, out.assign(input), p);
        }
        return out.assign(q.quantize(ArrayOps.COPYING, input, p));
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        LearnedQuantizer q = quantizer();
        List<INDArray> p = LearnedParameters.values(q, paramTable(), input.rank());
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
        dx.assign(LearnedParameters.gradients(q, input, p, epsilon, gradientViews));
        Gradient gradient = new DefaultGradient();
        for (String name : q.parameters()) {
            gradient.setGradientFor(name, gradientViews.get(name));
        }
        return new Pair<>(gradient, dx);
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public boolean hasBias() {
        return false;
    }

    @Override
    public Layer clone() {
        throw new UnsupportedOperationException("not cloneable");
    }
}
