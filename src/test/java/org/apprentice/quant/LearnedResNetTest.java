package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.apprentice.data.SyntheticImages;
import org.apprentice.export.Exporter;
import org.apprentice.export.PackedModel;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.OutputHead;
import org.apprentice.model.Parameters;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.DoublePrecision;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Learned quantizers inside a ResNet: gradient checks of whole networks in double precision (learned parameters
 * included), TTQ's three values and LSQ's grid after training, and the quantizer surviving a zip, the deployable zip,
 * the packed file and lowering from full precision.
 */
class LearnedResNetTest {
    private static final InputShape SHAPE = new InputShape(2, 8, 8);

    @TempDir
    Path dir;

    private static ComputationGraph tiny(WeightMethod weights, ActivationMethod activations, boolean rounding) {
        PrecisionSpec spec = PrecisionSpec.of(2, 4).withMethods(weights, activations);
        ResNetConfig config = ResNetConfig.of("resnet8", 3, SHAPE).withWidthMultiplier(0.125).withDataType(DataType.DOUBLE)
                .withUpdater(new NoOp(), 0).withPrecision(rounding ? spec : spec.withRoundingOff());
        return ResNetBuilder.build(config);
    }

    /** Every parameter but the running statistics and {@code alsoExcluded}, by central differences. */
    private static boolean check(ComputationGraph net, Set<String> alsoExcluded) {
        Nd4j.getRandom().setSeed(12345);
        INDArray input = Nd4j.rand(DataType.DOUBLE, 4, SHAPE.channels(), SHAPE.height(), SHAPE.width()).muli(2);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        for (int i = 0; i < 4; i++) {
            labels.putScalar(i, i % 3, 1.0);
        }
        net.output(input); // sets the learned parameters' starting values
        Set<String> excluded = new HashSet<>(alsoExcluded);
        for (Layer layer : net.getLayers()) {
            for (String key : layer.paramTable().keySet()) {
                if (Parameters.isRunningStatistic(layer, key)) {
                    excluded.add(layer.getConfig().getLayerName() + "_" + key);
                }
            }
            if (layer.conf().getLayer() instanceof LearnedActivation a && a.getMethod() == ActivationMethod.PACT) {
                layer.getParam("alpha").assign(0.6); // below some activations, so dL/dα is not trivially 0
            }
        }
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8).excludeParams(excluded)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(DoublePrecision.class)
    void lsqWeightsAndActivationsPassAGradientCheckOfAWholeNetwork() {
        ComputationGraph net = tiny(WeightMethod.LSQ, ActivationMethod.LSQ, false);
        assertInstanceOf(LearnedConvolution.class, net.getLayer("layer2.0.conv1").conf().getLayer());
        assertInstanceOf(LearnedActivation.class, net.getLayer("layer2.0.relu1").conf().getLayer());
        assertTrue(net.getLayer("layer2.0.conv1").paramTable().containsKey("step"));
        assertTrue(check(net, Set.of()), "gradient check failed");
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(DoublePrecision.class)
    void ttqScalesAndPactClipsPassAGradientCheckOfAWholeNetwork() {
        ComputationGraph net = tiny(WeightMethod.TTQ, ActivationMethod.PACT, false);
        // TTQ's latent weights get the paper's scaled straight-through gradient, not a derivative: excluded here,
        // checked against the rule in LearnedQuantizersTest; W_p, W_n and α are checked
        Set<String> latent = new HashSet<>();
        for (Layer layer : net.getLayers()) {
            if (layer.conf().getLayer() instanceof LearnedConvolution) {
                latent.add(layer.conf().getLayer().getLayerName() + "_W");
            }
        }
        assertTrue(latent.size() >= 5);
        assertTrue(check(net, latent), "gradient check failed");
    }

    private static ComputationGraph trained(WeightMethod weights, ActivationMethod activations) {
        PrecisionSpec spec = PrecisionSpec.of(2, 4).withMethods(weights, activations);
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 3, new InputShape(1, 12, 12))
                .withWidthMultiplier(0.5).withPrecision(spec).withUpdater(new Nesterovs(0.05, 0.9), 1e-4));
        DataSet data = SyntheticImages.generate(new InputShape(1, 12, 12), 3, 24, 6);
        for (int i = 0; i < 5; i++) {
            net.fit(data);
        }
        return net;
    }

    @Test
    void afterTrainingTtqWeightsTakeThreeValuesAndLsqActivationsLieOnTheirGrid() {
        ComputationGraph ttq = trained(WeightMethod.TTQ, ActivationMethod.LSQ);
        Layer conv = ttq.getLayer("layer2.0.conv1");
        INDArray q = ((LearnedWeights) WeightQuantization.of(conv.conf().getLayer())).effectiveWeights(conv);
        Set<Double> values = new TreeSet<>();
        for (double v : q.dup().data().asDouble()) {
            values.add(v);
        }
        double wp = conv.getParam("wp").getDouble(0);
        double wn = conv.getParam("wn").getDouble(0);
        assertEquals(Set.of(-(double) (float) wn, 0.0, (double) (float) wp), values);
        assertNotEquals(wp, wn, "W_p and W_n are learned apart");

        INDArray x = SyntheticImages.generate(new InputShape(1, 12, 12), 3, 6, 9).getFeatures();
        INDArray a = ttq.feedForward(x, false).get("layer2.0.relu1");
        double step = ttq.getLayer("layer2.0.relu1").getParam("step").getDouble(0);
        INDArray levels = a.div(step);
        assertTrue(levels.sub(Nd4j.math().round(levels)).amaxNumber().doubleValue() < 1e-4, "off the grid");
        assertTrue(levels.minNumber().doubleValue() >= 0 && levels.maxNumber().doubleValue() <= 15 + 1e-4);
        assertTrue(step > 0);
    }

    @Test
    void theQuantizerSurvivesZipDeployableZipAndPackedFile() throws Exception {
        ComputationGraph net = trained(WeightMethod.LSQ, ActivationMethod.PACT);
        INDArray x = SyntheticImages.generate(new InputShape(1, 12, 12), 3, 9, 5).getFeatures();
        INDArray expected = net.output(x)[0];

        File zip = dir.resolve("student.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelFiles.load(zip, "model");
        assertEquals(net.getLayer("layer1.0.conv1").conf().getLayer(), restored.getLayer("layer1.0.conv1").conf().getLayer());
        assertTrue(restored.output(x)[0].equalsWithEps(expected, 1e-6), "zip");

        ComputationGraph deployable = Exporter.deployable(net);
        assertEquals(org.deeplearning4j.nn.conf.layers.ConvolutionLayer.class,
                deployable.getLayer("layer1.0.conv1").conf().getLayer().getClass(), "a plain DL4J convolution");
        assertTrue(deployable.output(x)[0].equalsWithEps(expected, 1e-5), "deployable");

        File packed = dir.resolve("student.packed").toFile();
        PackedModel.write(net, new org.apprentice.model.DataRecord(null, new InputShape(1, 12, 12), null), packed);
        assertTrue(PackedModel.read(packed).output(x)[0].equalsWithEps(expected, 1e-5), "packed (LSQ)");

        ComputationGraph ttq = trained(WeightMethod.TTQ, ActivationMethod.LSQ);
        PackedModel.write(ttq, new org.apprentice.model.DataRecord(null, new InputShape(1, 12, 12), null), packed);
        assertTrue(PackedModel.read(packed).output(x)[0].equalsWithEps(ttq.output(x)[0], 1e-5), "packed (TTQ)");
    }

    @Test
    void aLearnedStepPushedThroughZeroIsFlooredAndAnUnsetOneIsRefusedAtOnnxExport() throws Exception {
        InputShape shape = new InputShape(1, 12, 12);
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 3, shape).withWidthMultiplier(0.5)
                .withPrecision(PrecisionSpec.of(2, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ)));
        String refusal = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> org.apprentice.export.OnnxExport.model(net, new org.apprentice.model.DataRecord(null, shape, null))).getMessage();
        assertTrue(refusal.contains("has never quantized an activation") && refusal.contains("step is unset"), refusal);
        INDArray x = SyntheticImages.generate(shape, 3, 6, 2).getFeatures();
        net.output(x);
        net.getLayer("layer2.0.relu1").getParam("step").assign(-0.5);
        net.getLayer("layer2.0.conv1").getParam("step").assign(0.0);
        INDArray out = net.output(x)[0];
        assertTrue(!out.isNaN().any() && !out.isInfinite().any(), "finite with the floor: " + out);
    }

    @Test
    void loweringAFullPrecisionModelStartsTheLearnedParametersFromItsWeights() throws Exception {
        ResNetConfig fp = ResNetConfig.of("resnet8", 3, new InputShape(1, 12, 12)).withWidthMultiplier(0.5);
        ComputationGraph source = ResNetBuilder.build(fp);
        File zip = dir.resolve("fp.zip").toFile();
        ModelFiles.save(source, fp, zip);
        ResNetConfig low = fp.withPrecision(PrecisionSpec.of(2, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ));
        ComputationGraph student = ModelFiles.lowerPrecision(source, zip, low, OutputHead.softmaxCrossEntropy());
        Layer conv = student.getLayer("layer2.0.conv1");
        assertEquals(source.getLayer("layer2.0.conv1").getParam("W"), conv.getParam("W"));
        assertEquals(0.0, conv.getParam("step").getDouble(0), "unset until the first forward pass");
        student.output(SyntheticImages.generate(new InputShape(1, 12, 12), 3, 3, 1).getFeatures());
        double meanAbs = source.getLayer("layer2.0.conv1").getParam("W").amean().getDouble(0);
        assertEquals(2 * Math.abs(meanAbs) / Math.sqrt(1), conv.getParam("step").getDouble(0), 1e-6);
    }
}
