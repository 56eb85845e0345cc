package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.apprentice.model.InputShape;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.ModelSize;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Quantized layers inside the ResNets: twin equivalence, training behaviour, serialisation, sizes. */
class QuantizedResNetTest {
    private static final InputShape SHAPE = new InputShape(1, 16, 16);

    private static INDArray[] batch(int n, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(n, SHAPE.channels(), SHAPE.height(), SHAPE.width());
        INDArray y = Nd4j.zeros(n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1.0);
        }
        return new INDArray[] {x, y};
    }

    private static QuantizedWeights quantizerOf(ComputationGraph net, String layer) {
        return quantizerOf(net.getLayer(layer));
    }

    /** The fixed weight quantizer of a layer, or null. */
    private static QuantizedWeights quantizerOf(org.deeplearning4j.nn.api.Layer layer) {
        return (QuantizedWeights) WeightQuantization.of(layer.conf().getLayer());
    }

    @Test
    void quantizedNetworkEqualsItsFullPrecisionTwinWithWeightsSetToQofW() {
        ResNetConfig base = ResNetConfig.of("resnet8", 4, SHAPE);
        ComputationGraph quantized = ResNetBuilder.build(base.withPrecision(PrecisionSpec.of(2, 4)));
        // the twin: same activation quantizers, full-precision weight slots
        ComputationGraph twin = ResNetBuilder.build(base.withPrecision(PrecisionSpec.of(32, 4)));
        twin.setParams(quantized.params().dup());
        int quantizedLayers = 0;
        for (Layer layer : quantized.getLayers()) {
            QuantizedWeights q = quantizerOf(layer);
            if (q != null) {
                quantizedLayers++;
                String name = layer.conf().getLayer().getLayerName();
                twin.getLayer(name).setParam("W", q.quantizer().quantize(ArrayOps.COPYING, layer.getParam("W")));
            }
        }
        assertEquals(6 + 2, quantizedLayers, "resnet8: 6 block convolutions and 2 projections");

        INDArray[] xy = batch(6, 4, 5);
        assertEquals(twin.outputSingle(false, xy[0]), quantized.outputSingle(false, xy[0]));
        Gradient gq = gradient(quantized, xy);
        Gradient gt = gradient(twin, xy);
        for (Map.Entry<String, INDArray> e : gq.gradientForVariable().entrySet()) {
            if (!e.getKey().endsWith("_mean") && !e.getKey().endsWith("_log10stdev")) {
                assertEquals(gt.getGradientFor(e.getKey()), e.getValue(), e.getKey());
            }
        }
        assertTrue(gq.getGradientFor("layer2.0.conv1_W").amaxNumber().doubleValue() > 0);
    }

    private static Gradient gradient(ComputationGraph net, INDArray[] xy) {
        net.setInputs(xy[0]);
        net.setLabels(xy[1]);
        net.computeGradientAndScore();
        return net.gradient();
    }

    @Test
    void ternaryTrainingKeepsTernaryEffectiveWeightsOverFullPrecisionShadowWeights() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE)
                .withPrecision(PrecisionSpec.of(2, 4)));
        INDArray firstBefore = net.getLayer("conv1").getParam("W").dup();
        for (int step = 0; step < 5; step++) {
            INDArray[] xy = batch(8, 4, step);
            net.fit(new INDArray[] {xy[0]}, new INDArray[] {xy[1]});
        }
        int checked = 0;
        for (Layer layer : net.getLayers()) {
            QuantizedWeights q = quantizerOf(layer);
            if (q == null) {
                continue;
            }
            checked++;
            INDArray shadow = layer.getParam("W");
            INDArray effective = q.quantizer().quantize(ArrayOps.COPYING, shadow);
            assertTrue(QuantizersTest.distinct(effective) <= 3, "effective weights of " + layer.conf().getLayer().getLayerName());
            assertTrue(QuantizersTest.distinct(shadow) > 3, "shadow weights stay full precision");
        }
        assertEquals(8, checked);
        // first and last layers: full precision, no quantizer, and trained
        assertNull(quantizerOf(net, "conv1"));
        assertNull(quantizerOf(net, ResNetBuilder.LOGITS));
        assertTrue(QuantizersTest.distinct(net.getLayer("conv1").getParam("W")) > 3);
        assertTrue(!firstBefore.equals(net.getLayer("conv1").getParam("W")), "the first layer trains");
        ActivationLayer stemRelu = (ActivationLayer) net.getLayer("relu").conf().getLayer();
        assertTrue(!(stemRelu.getActivationFn() instanceof QuantizedActivation), "the first layer's activations stay fp");
        ActivationLayer blockRelu = (ActivationLayer) net.getLayer("layer3.0.relu").conf().getLayer();
        assertEquals(new QuantizedActivation(4), blockRelu.getActivationFn());
    }

    @Test
    void quantizedActivationsTakeAtMostTwoToTheKValues() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE)
                .withPrecision(PrecisionSpec.of(2, 2)));
        Map<String, INDArray> acts = net.feedForward(batch(4, 4, 9)[0], true);
        INDArray a = acts.get("layer1.0.relu1");
        assertTrue(QuantizersTest.distinct(a) <= 4, "2-bit activations: at most 4 levels");
        assertTrue(a.minNumber().doubleValue() >= 0 && a.maxNumber().doubleValue() <= 1);
    }

    @Test
    void restoredQuantizedModelKeepsItsQuantizersAndOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE)
                .withPrecision(PrecisionSpec.of(4, 8).withWeightScaling(KBitWeights.Scaling.PER_CHANNEL)
                        .withOverride("layer2.0.conv2", new LayerPrecision(2, 4))));
        INDArray[] xy = batch(4, 4, 11);
        net.fit(new INDArray[] {xy[0]}, new INDArray[] {xy[1]});
        File zip = dir.resolve("q.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip, true);
        assertEquals(new QuantizedWeights(4, KBitWeights.Scaling.PER_CHANNEL), quantizerOf(restored, "layer1.0.conv1"));
        assertEquals(new QuantizedWeights(2, KBitWeights.Scaling.PER_CHANNEL), quantizerOf(restored, "layer2.0.conv2"));
        assertEquals(new QuantizedActivation(8),
                ((ActivationLayer) restored.getLayer("layer1.0.relu1").conf().getLayer()).getActivationFn());
        assertEquals(net.outputSingle(false, xy[0]), restored.outputSingle(false, xy[0]));
    }

    @Test
    void ternaryResNet18IsAboutTenTimesSmaller() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet18", 1000, new InputShape(3, 32, 32))
                .withPrecision(PrecisionSpec.of(2, 8)));
        ModelSize size = ModelSize.of(net);
        assertEquals(46_758_048L, size.fp32Bytes());
        // 11,157,504 ternary weights at 2 bits, 19 scales, and 532,008 full-precision parameters
        assertEquals((11_157_504L * 2 + 19 * 32 + 532_008L * 32) / 8, size.lowPrecisionBytes());
        assertEquals("4.92 MB", ModelSize.megabytes(size.lowPrecisionBytes()));
        assertEquals("46.76 MB", ModelSize.megabytes(size.fp32Bytes()));
    }

    @Test
    void overrideNamingNoLayerIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResNetBuilder.configuration(
                ResNetConfig.of("resnet8", 4, SHAPE).withPrecision(PrecisionSpec.of(2, 4)
                        .withOverride("layer9.0.conv1", LayerPrecision.FULL_PRECISION))));
        assertTrue(e.getMessage().contains("'layer9.0.conv1'"), e.getMessage());
    }

    @Test
    void overridesCanQuantizeTheEndsOrKeepABodyLayerFullPrecision() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE)
                .withPrecision(PrecisionSpec.of(2, 4).withQuantizedEnds(true, true)
                        .withOverride("layer1.0.conv2", LayerPrecision.FULL_PRECISION)));
        assertNotNull(quantizerOf(net, "conv1"));
        assertNotNull(quantizerOf(net, ResNetBuilder.LOGITS));
        assertNull(quantizerOf(net, "layer1.0.conv2"));
        assertNotNull(quantizerOf(net, "layer1.0.conv1"));
    }
}
