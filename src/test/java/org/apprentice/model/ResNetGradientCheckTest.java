package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.apprentice.testing.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** Backpropagation through residual adds, projection shortcuts and batch norm, in double precision. */
@ExtendWith(DoublePrecision.class)
class ResNetGradientCheckTest {
    @Test
    void smallResNetPassesGradientCheck() {
        // resnet8 at 1/8 width: 2/4/8 channels (1,405 parameters), projection shortcuts into stages 2 and 3
        ResNetConfig config = ResNetConfig.of("resnet8", 3, new InputShape(2, 8, 8))
                .withWidthMultiplier(0.125).withDataType(DataType.DOUBLE).withUpdater(new NoOp(), 0);
        ComputationGraph net = ResNetBuilder.build(config);
        assertTrue(net.getConfiguration().getVertices().containsKey("layer2.0.downsample.0"));
        assertTrue(check(net, config.input()), "gradient check failed");
    }

    @Test
    void bottleneckBlocksPassGradientCheck() {
        // the bottleneck block of resnet50/101/152, one per stage, in a small-image network at 1/16
        // width: 1/2/4 channels inside the blocks, 4/8/16 out of them (822 parameters)
        ResNetArchitecture bottlenecks = new ResNetArchitecture("bottleneck-mini", StemShape.SMALL_IMAGE,
                BlockType.BOTTLENECK, new int[] {1, 1, 1});
        ResNetConfig config = new ResNetConfig(bottlenecks, 3, new InputShape(2, 8, 8), 1.0 / 16,
                PrecisionSpec.fullPrecision(), 7L, DataType.DOUBLE, new NoOp(), 0, WeightDecay.L2);
        ComputationGraph net = ResNetBuilder.build(config);
        assertTrue(net.getConfiguration().getVertices().containsKey("layer1.0.conv3"));
        assertTrue(check(net, config.input()), "gradient check failed");
    }

    @Test
    void quantizedSpecResNetWithRoundingOffPassesGradientCheck() {
        // the quantizer slots of a ternary-weight, 4-bit-activation resnet8, rounding switched off:
        // weights pass through the weight-noise slot, activations through the clip to [0, 1] and its
        // STE mask, which is then the exact gradient
        ResNetConfig config = ResNetConfig.of("resnet8", 3, new InputShape(2, 8, 8))
                .withWidthMultiplier(0.125).withDataType(DataType.DOUBLE).withUpdater(new NoOp(), 0)
                .withPrecision(PrecisionSpec.of(2, 4).withRoundingOff());
        ComputationGraph net = ResNetBuilder.build(config);
        assertTrue(org.apprentice.quant.WeightQuantization.of(net.getLayer("layer2.0.conv1").conf().getLayer()) != null);
        assertTrue(((org.deeplearning4j.nn.conf.layers.ActivationLayer) net.getLayer("layer2.0.relu1").conf()
                .getLayer()).getActivationFn() instanceof org.apprentice.quant.QuantizedActivation);
        assertTrue(check(net, config.input()), "gradient check failed");
    }

    /** Checks every parameter: GraphConfig's subset/maxPerParam options are ignored for graphs in M2.1. */
    private static boolean check(ComputationGraph net, InputShape shape) {
        Nd4j.getRandom().setSeed(12345);
        INDArray input = Nd4j.rand(DataType.DOUBLE, 4, shape.channels(), shape.height(), shape.width());
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        for (int i = 0; i < 4; i++) {
            labels.putScalar(i, i % 3, 1.0);
        }
        Set<String> runningStatistics = new HashSet<>();
        for (Layer layer : net.getLayers()) {
            for (String key : layer.paramTable().keySet()) {
                if (Parameters.isRunningStatistic(layer, key)) {
                    runningStatistics.add(layer.getConfig().getLayerName() + "_" + key);
                }
            }
        }
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
                .excludeParams(runningStatistics)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
    }

}
