package org.apprentice.nn;

import java.nio.FloatBuffer;
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
 * An activation layer in one pass each way. DL4J's copies its input before applying the activation in place
 * (forward) and copies it again before the derivative (backward): two passes and an extra array each way, plus
 * one pass per op of the function. Here:
 * <ul>
 *   <li>a plain ReLU writes max(x, 0) straight into its output, and its input gradient is [x &gt; 0] (libnd4j's
 *   legacy step op) times dy in place, from the input the layer keeps anyway;</li>
 *   <li>a {@link SweptActivation} (the fixed k-bit activation quantizer) is one Java sweep each way over FLOAT
 *   arrays on the CPU ({@link FloatSweeps}).</li>
 * </ul>
 * Any other activation or data type is DL4J's layer unchanged.
 */
public class FastActivationLayer extends ActivationLayer {

    public FastActivationLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        SweptActivation swept = swept();
        if (!isPlainRelu() && swept == null) {
            return super.activate(training, mgr);
        }
        assertInputSet(false);
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), input.shape(), 'c');
        if (swept == null) {
            Nd4j.getExecutioner().exec(new RectifiedLinear(input, out));
            return out;
        }
        FloatBuffer to = FloatSweeps.floats(out);
        FloatSweeps.DEFAULT.run((int) input.length(), 1, (first, count, values) -> {
            swept.forward(values[0], count);
            to.put(first, values[0], 0, count);
        }, input);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        SweptActivation swept = swept();
        if (!isPlainRelu() && swept == null) {
            return super.backpropGradient(epsilon, mgr);
        }
        assertInputSet(true);
        INDArray delta = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
        if (swept == null) {
            Nd4j.getExecutioner().exec(new Step(input, delta)); // [x > 0]: a legacy scalar op, 2x faster than relu_bp (bench --ops)
            return new Pair<>(new DefaultGradient(), delta.muli(epsilon));
        }
        FloatBuffer to = FloatSweeps.floats(delta);
        FloatSweeps.DEFAULT.run((int) input.length(), 1, (first, count, values) -> {
            swept.backward(values[0], values[1], count);
            to.put(first, values[1], 0, count);
        }, input, FloatSweeps.dense(epsilon));
        return new Pair<>(new DefaultGradient(), delta);
    }

    private boolean isPlainRelu() {
        return layerConf().getActivationFn() instanceof ActivationReLU relu
                && relu.getMax() == null && relu.getThreshold() == null && relu.getNegativeSlope() == null;
    }

    /** The activation as a Java sweep, where this layer computes it so (FLOAT, CPU, C-order input); else null. */
    private SweptActivation swept() {
        return layerConf().getActivationFn() instanceof SweptActivation s && FloatSweeps.takes(input) ? s : null;
    }
}
