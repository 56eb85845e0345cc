package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.apprentice.nn.FastActivation;
import org.apprentice.nn.FastBatchNorm;
import org.apprentice.nn.FastConvolution;
import org.apprentice.nn.FastRelu;
import org.apprentice.nn.LayerKernels;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.QuantizedActivation;
import org.apprentice.quant.WeightMethod;
import org.apprentice.testing.DoublePrecision;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * The project's convolution, batch norm and ReLU layers ({@link LayerKernels#FAST}) against DL4J's own
 * ({@link LayerKernels#DL4J}) in the same ResNet with the same parameters: the same training outputs, the same
 * gradients for every parameter, the same running statistics after a step, and the same model after a zip round trip.
 */
class FastLayersTest {
    private static final InputShape INPUT = new InputShape(3, 8, 8);

    @Test
    @ExtendWith(DoublePrecision.class)
    void fullPrecisionResNetMatchesDl4jInDoublePrecision() {
        assertTwinsAgree(config(PrecisionSpec.fullPrecision(), DataType.DOUBLE), 1e-10);
    }

    @Test
    @ExtendWith(DoublePrecision.class)
    void fixedAndLearnedQuantizersMatchDl4jInDoublePrecision() {
        assertTwinsAgree(config(PrecisionSpec.of(2, 4), DataType.DOUBLE), 1e-10);
        assertTwinsAgree(config(PrecisionSpec.of(2, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ),
                DataType.DOUBLE), 1e-10);
        assertTwinsAgree(config(PrecisionSpec.of(2, 4).withMethods(WeightMethod.TTQ, ActivationMethod.PACT),
                DataType.DOUBLE), 1e-10);
    }

    /**
     * In FLOAT the convolutions run on oneDNN and skip DL4J's recomputed forward; those with at most 16 input
     * channels (all stride-1 ones here) take the transposed-convolution route, direct kernels where DL4J's
     * {@code conv2d_bp} uses Winograd's. Batch norm sums in another order than DL4J's reductions. Both differ by
     * float rounding (about 1e-6 of each gradient's largest entry for these sizes); a relative 1e-4 holds with
     * margin through eight layers.
     */
    @Test
    void fullPrecisionResNetMatchesDl4jInFloat() {
        assertTwinsAgree(config(PrecisionSpec.fullPrecision(), DataType.FLOAT), 1e-4);
    }

    @Test
    void fastLayersSaveAndLoadAsThemselves(@TempDir Path dir) throws Exception {
        ComputationGraph net = ResNetBuilder.build(config(PrecisionSpec.fullPrecision(), DataType.FLOAT));
        assertInstanceOf(FastConvolution.class, net.getLayer("layer1.0.conv1").conf().getLayer());
        assertInstanceOf(FastBatchNorm.class, net.getLayer("layer1.0.bn1").conf().getLayer());
        assertInstanceOf(FastRelu.class, net.getLayer("layer1.0.relu1").conf().getLayer());
        INDArray[] batch = batch(DataType.FLOAT);
        net.fit(new INDArray[] {batch[0]}, new INDArray[] {batch[1]});
        File zip = dir.resolve("fast.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip, true);
        assertInstanceOf(FastBatchNorm.class, restored.getLayer("layer1.0.bn1").conf().getLayer());
        assertEquals(net.params(), restored.params());
        assertEquals(net.outputSingle(batch[0]), restored.outputSingle(batch[0]));
    }

    @Test
    void theFixedActivationQuantizerSavesAndLoadsAsItself(@TempDir Path dir) throws Exception {
        ComputationGraph net = ResNetBuilder.build(config(PrecisionSpec.of(2, 4), DataType.FLOAT));
        ActivationLayer act = assertInstanceOf(FastActivation.class, net.getLayer("layer1.0.relu1").conf().getLayer());
        assertEquals(new QuantizedActivation(4), act.getActivationFn());
        INDArray[] batch = batch(DataType.FLOAT);
        net.fit(new INDArray[] {batch[0]}, new INDArray[] {batch[1]});
        File zip = dir.resolve("fast-w2a4.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip, true);
        ActivationLayer back = assertInstanceOf(FastActivation.class,
                restored.getLayer("layer1.0.relu1").conf().getLayer());
        assertEquals(new QuantizedActivation(4), back.getActivationFn());
        assertEquals(net.params(), restored.params());
        assertEquals(net.outputSingle(batch[0]), restored.outputSingle(batch[0]));
    }

    private static ResNetConfig config(PrecisionSpec precision, DataType type) {
        return ResNetConfig.of("resnet8", 4, INPUT).withWidthMultiplier(0.25).withPrecision(precision)
                .withDataType(type).withUpdater(new Nesterovs(0.1, 0.9), 1e-4);
    }

    /** Training outputs, every gradient, and the parameters after one step (running statistics included). */
    private static void assertTwinsAgree(ResNetConfig config, double relative) {
        ComputationGraph dl4j = ResNetBuilder.build(ResNetBuilder.configuration(config, LayerKernels.DL4J));
        ComputationGraph fast = ResNetBuilder.build(ResNetBuilder.configuration(config, LayerKernels.FAST));
        fast.setParams(dl4j.params().dup());
        INDArray[] batch = batch(config.dataType());
        Map<String, INDArray> a = dl4j.feedForward(new INDArray[] {batch[0]}, true, false);
        Map<String, INDArray> b = fast.feedForward(new INDArray[] {batch[0]}, true, false);
        assertClose("output of fc", a.get("fc"), b.get("fc"), relative);
        dl4j.clearLayersStates(); // a training forward pass leaves its quantized weights cached for the backward
        fast.clearLayersStates();
        for (ComputationGraph net : new ComputationGraph[] {dl4j, fast}) {
            net.setInputs(batch[0]);
            net.setLabels(batch[1]);
            net.computeGradientAndScore();
        }
        Map<String, INDArray> ga = dl4j.gradient().gradientForVariable();
        Map<String, INDArray> gb = fast.gradient().gradientForVariable();
        assertEquals(ga.keySet(), gb.keySet());
        ga.forEach((key, g) -> assertClose("gradient " + key, g, gb.get(key), relative));
        dl4j.fit(new INDArray[] {batch[0]}, new INDArray[] {batch[1]});
        fast.fit(new INDArray[] {batch[0]}, new INDArray[] {batch[1]});
        dl4j.paramTable().forEach((key, p) -> assertClose("parameter " + key + " after a step", p,
                fast.paramTable().get(key), relative));
    }

    private static INDArray[] batch(DataType type) {
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(type, 6, INPUT.channels(), INPUT.height(), INPUT.width()).muli(2).addi(0.5);
        INDArray y = Nd4j.zeros(type, 6, 4);
        for (int i = 0; i < 6; i++) {
            y.putScalar(i, i % 4, 1.0);
        }
        return new INDArray[] {x, y};
    }

    private static void assertClose(String what, INDArray expected, INDArray actual, double relative) {
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-30);
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= relative * scale, what + ": differs by " + diff + " (largest entry " + scale + ")");
    }
}
