package org.apprentice.quant;

import java.nio.FloatBuffer;
import java.util.List;
import org.apprentice.nn.FloatSweeps;
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
        SweptQuantizer swept = swept(q);
        if (swept != null) {
            float[] values = floats(p);
            FloatBuffer to = FloatSweeps.floats(out);
            int length = rowLength(input);
            FloatSweeps.DEFAULT.run(rows(input), length, (first, count, v) -> {
                swept.forward(v[0], 0, count * length, values);
                to.put(first * length, v[0], 0, count * length);
            }, input);
            return out;
        }
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
        SweptQuantizer swept = swept(q);
        if (swept != null) {
            sweptGradients(q, swept, p, FloatSweeps.dense(epsilon), dx);
        } else {
            dx.assign(LearnedParameters.gradients(q, input, p, epsilon, gradientViews));
        }
        Gradient gradient = new DefaultGradient();
        for (String name : q.parameters()) {
            gradient.setGradientFor(name, gradientViews.get(name));
        }
        return new Pair<>(gradient, dx);
    }

    /**
     * dL/dx into {@code dx}, and each parameter's gradient into its view: the sums over each row (an image's channel)
     * taken by one thread, then added in the rows' order (the same numbers on any thread count), times the gradient
     * scale.
     */
    private void sweptGradients(LearnedQuantizer q, SweptQuantizer swept, List<INDArray> p, INDArray g, INDArray dx) {
        float[] values = floats(p);
        int n = rows(input);
        int length = rowLength(input);
        double[][] perRow = new double[n][p.size()];
        FloatBuffer to = FloatSweeps.floats(dx);
        FloatSweeps.DEFAULT.run(n, length, (first, count, v) -> {
            for (int j = 0; j < count; j++) {
                swept.backward(v[0], v[1], j * length, (j + 1) * length, values, perRow[first + j]);
            }
            to.put(first * length, v[1], 0, count * length);
        }, input, g);
        double scale = q.gradientScale(input.shape());
        for (int k = 0; k < p.size(); k++) {
            double sum = 0;
            for (double[] row : perRow) {
                sum += row[k];
            }
            gradientViews.get(q.parameters().get(k)).assign(sum * scale);
        }
    }

    /** The quantizer's Java sweeps, where this layer computes with them (FLOAT on the CPU); else null. */
    private SweptQuantizer swept(LearnedQuantizer q) {
        return FloatSweeps.takes(input) ? q.swept() : null;
    }

    /** One value per parameter (a layer-wide step, clip or scale). */
    private static float[] floats(List<INDArray> p) {
        float[] out = new float[p.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.get(i).getFloat(0);
        }
        return out;
    }

    /** Rows of the sweeps: one per image and channel (one per image for a 2-d input), so a block stays small. */
    private static int rows(INDArray x) {
        return (int) (x.rank() >= 3 ? x.size(0) * x.size(1) : x.size(0));
    }

    private static int rowLength(INDArray x) {
        return (int) (x.length() / rows(x));
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
