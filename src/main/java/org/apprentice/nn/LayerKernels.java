package org.apprentice.nn;

import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;

/**
 * Which implementation computes a ResNet's convolutions, batch norms, ReLUs and activation quantizers: DL4J's stock
 * layers, or this project's ({@link FastConvolution}, {@link FastBatchNorm}, {@link FastRelu},
 * {@link FastActivation}), which give the same outputs and
 * gradients in fewer passes. Both save as the same DL4J configuration, apart from the class name.
 */
public enum LayerKernels {
    DL4J,
    FAST;

    public ConvolutionLayer convolution(ConvolutionLayer.Builder builder) {
        return this == FAST ? new FastConvolution(builder) : builder.build();
    }

    public BatchNormalization batchNorm(double eps, double decay) {
        return this == FAST ? new FastBatchNorm(eps, decay)
                : new BatchNormalization.Builder().eps(eps).decay(decay).build();
    }

    public ActivationLayer relu() {
        return this == FAST ? new FastRelu() : new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    /** An activation layer with {@code function} (e.g. the fixed k-bit activation quantizer). */
    public ActivationLayer activation(IActivation function) {
        return this == FAST ? new FastActivation(function) : new ActivationLayer.Builder().activation(function).build();
    }
}
