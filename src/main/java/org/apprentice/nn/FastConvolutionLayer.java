package org.apprentice.nn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A convolution whose backward pass does not compute the forward convolution again. DL4J's
 * {@code ConvolutionLayer.backpropGradient} recomputes the layer's pre-activation output to apply the activation's
 * derivative, one whole forward convolution per backward pass; with the identity activation (every convolution
 * here: batch norm follows) that derivative is 1 and the recomputed output is thrown away. This layer hands the
 * incoming gradient straight to oneDNN's backward pass (libnd4j's {@code conv2d_bp}, the op DL4J's own helper
 * calls), with the same weights, weight noise included. Where that does not apply (another activation, no oneDNN
 * helper, DOUBLE precision) it is DL4J's layer unchanged.
 */
public class FastConvolutionLayer extends ConvolutionLayer {

    public FastConvolutionLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!reusesForward(epsilon)) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        var conf = layerConf();
        INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr);
        INDArray bias = hasBias() ? getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr) : null;
        INDArray biasGrad = hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null;
        INDArray weightGrad = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
        Pair<Gradient, INDArray> out = helper.backpropGradient(input, weights, bias, epsilon, conf.getKernelSize(),
                conf.getStride(), conf.getPadding(), biasGrad, weightGrad, conf.getActivationFn(),
                conf.getCudnnAlgoMode(), conf.getCudnnBwdFilterAlgo(), conf.getCudnnBwdDataAlgo(), convolutionMode,
                conf.getDilation(), conf.getCnn2dDataFormat(), workspaceMgr);
        out.setSecond(backpropDropOutIfPresent(out.getSecond()));
        return out;
    }

    /** Whether the backward pass can skip the recomputed forward: identity activation, oneDNN, FLOAT, NCHW. */
    private boolean reusesForward(INDArray epsilon) {
        return helper instanceof MKLDNNConvHelper
                && layerConf().getActivationFn() instanceof ActivationIdentity
                && layerConf().getCnn2dDataFormat() == CNN2DFormat.NCHW
                && dataType == DataType.FLOAT && input != null && input.dataType() == DataType.FLOAT
                && epsilon.dataType() == DataType.FLOAT;
    }
}
