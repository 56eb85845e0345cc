package org.apprentice.nn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution whose backward pass does not compute the forward convolution again. DL4J's
 * {@code ConvolutionLayer.backpropGradient} recomputes the layer's pre-activation output to apply the activation's
 * derivative, one whole forward convolution per backward pass; with the identity activation (every convolution
 * here: batch norm follows) that derivative is 1 and the recomputed output is thrown away. This layer hands the
 * incoming gradient straight to oneDNN's backward pass (libnd4j's {@code conv2d_bp}, the op DL4J's own helper
 * calls), with the same weights, weight noise included; for stride-1 convolutions of the shapes where it measured
 * faster, through libnd4j's transposed convolution instead (see {@code transposedBackward}). Where none of this
 * applies (another activation, no oneDNN helper, DOUBLE precision) it is DL4J's layer unchanged.
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
        if (bias == null && transposedBackward(conf, input.size(1), input.size(2), input.size(3))) {
            return backwardThroughTransposed(weights, epsilon, weightGrad, workspaceMgr);
        }
        Pair<Gradient, INDArray> out = helper.backpropGradient(input, weights, bias, epsilon, conf.getKernelSize(),
                conf.getStride(), conf.getPadding(), biasGrad, weightGrad, conf.getActivationFn(),
                conf.getCudnnAlgoMode(), conf.getCudnnBwdFilterAlgo(), conf.getCudnnBwdDataAlgo(), convolutionMode,
                conf.getDilation(), conf.getCnn2dDataFormat(), workspaceMgr);
        out.setSecond(backpropDropOutIfPresent(out.getSecond()));
        return out;
    }

    /**
     * Whether this convolution's backward pass goes through libnd4j's transposed convolution ops instead of
     * {@code conv2d_bp}: stride 1, no dilation, Truncate mode, and a shape where that measured faster. For
     * {@code conv2d_bp} oneDNN picks Winograd kernels for both backward passes; the transposed convolution runs
     * direct kernels (its forward is the input gradient; its weight gradient, with input and output swapped, is
     * the convolution's). Measured with {@code bin/apprentice bench --ops} on a 2-core AVX-512 Xeon (median ms,
     * conv2d_bp against the two transposed ops): 3→16 at 32x32 batch 128, 18.2 against 5.9; 16→16 at 32x32, 20.4
     * against 12.6; 512→512 at 7x7 batch 16, 53.0 against 31.3; but 32→32 at 16x16, 5.5 against 6.6, and 64→64 at
     * 56x56 batch 16, 22.8 against 42.1. Hence: at most 16 input channels, or at most 7x7 input. The rule is
     * fixed, not timed at run time, so that a run computes the same numbers every time (the two routes differ
     * by float rounding).
     */
    static boolean transposedBackward(org.deeplearning4j.nn.conf.layers.ConvolutionLayer conf, long channels,
                                      long height, long width) {
        boolean plain = conf.getStride()[0] == 1 && conf.getStride()[1] == 1 && conf.getDilation()[0] == 1
                && conf.getDilation()[1] == 1 && conf.getConvolutionMode() == ConvolutionMode.Truncate;
        return plain && (channels <= 16 || height * width <= 49);
    }

    /** dL/dx as the transposed convolution of dL/dy; dL/dW from the transposed convolution's backward pass. */
    private Pair<Gradient, INDArray> backwardThroughTransposed(INDArray weights, INDArray epsilon, INDArray weightGrad,
                                                               LayerWorkspaceMgr workspaceMgr) {
        int[] k = layerConf().getKernelSize();
        int[] p = layerConf().getPadding();
        int[] args = {k[0], k[1], 1, 1, p[0], p[1], 1, 1, 0, 0, 1}; // NCHW, weights [out, in, kH, kW]
        INDArray dy = Layers.contiguous(epsilon);
        INDArray gradInput = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        Nd4j.exec(DynamicCustomOp.builder("deconv2d").addInputs(dy, weights).addOutputs(gradInput)
                .addIntegerArguments(args).build());
        INDArray unused = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, dy.shape(), 'c');
        Nd4j.exec(DynamicCustomOp.builder("deconv2d_bp").addInputs(dy, weights, input)
                .addOutputs(unused, weightGrad).addIntegerArguments(args).build());
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGrad);
        return new Pair<>(gradient, backpropDropOutIfPresent(gradInput));
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
