package org.apprentice.nn;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A ReLU in one pass each way. DL4J's activation layer copies its input before applying the activation in place
 * (forward) and copies it again before the derivative (backward): two passes and an extra array each way. Here
 * max(x, 0) is written straight into the output; the input gradient is [x &gt; 0] (libnd4j's legacy step op) times
 * dy in place, from the input the layer keeps anyway. Any other activation is DL4J's layer unchanged.
 */
public class FastReluLayer extends ActivationLayer {

    public FastReluLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        if (!isPlainRelu()) {
            return super.activate(training, mgr);
        }
        assertInputSet(false);
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), input.shape(), 'c');
        Nd4j.getExecutioner().exec(new RectifiedLinear(input, out));
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        if (!isPlainRelu()) {
            return super.backpropGradient(epsilon, mgr);
        }
        assertInputSet(true);
        INDArray delta = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
        Nd4j.getExecutioner().exec(new Step(input, delta)); // [x > 0]: a legacy scalar op, 2x faster than relu_bp (bench --ops)
        return new Pair<>(new DefaultGradient(), delta.muli(epsilon));
    }

    private boolean isPlainRelu() {
        return layerConf().getActivationFn() instanceof ActivationReLU relu
                && relu.getMax() == null && relu.getThreshold() == null && relu.getNegativeSlope() == null;
    }
}
