package org.apprentice.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.Onnx;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.Normalization;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.WeightMethod;
import org.apprentice.testing.IntegerAgreement;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The integer ONNX export on small trained resnet20s of every quantizer kind: ONNX Runtime fuses every integer
 * convolution the export promises, and every code it rounds otherwise than DL4J is within the export's own bound.
 */
class IntegerOnnxTest {
    @TempDir
    Path dir;

    private static final InputShape SHAPE = new InputShape(1, 16, 16);
    /** Pixels normalized as Fashion-MNIST's, so that the graph's own normalization is exercised. */
    private static final Normalization NORMALIZATION = new Normalization(new double[] {0.25}, new double[] {0.5});

    /** How many nodes of each type the graph ONNX Runtime makes of {@code onnx} for this CPU holds. */
    static java.util.Map<String, Long> optimizedNodes(File onnx) throws Exception {
        File optimized = File.createTempFile("optimized", ".onnx");
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizedModelFilePath(optimized.getPath());
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession ignored = env.createSession(onnx.getPath(), options)) {
                Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(optimized.toPath()));
                return model.getGraph().getNodeList().stream().collect(java.util.stream.Collectors.groupingBy(
                        Onnx.NodeProto::getOpType, java.util.stream.Collectors.counting()));
            }
        } finally {
            Files.deleteIfExists(optimized.toPath());
        }
    }

    private static ComputationGraph trained(PrecisionSpec spec, DataSet data) {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet20", 4, SHAPE).withWidthMultiplier(0.5)
                .withPrecision(spec));
        for (int i = 0; i < 4; i++) {
            net.fit(data);
        }
        return net;
    }

    @Test
    void everyQuantizerKindExportsAsIntegerConvolutionsWithinTheExportsBound() throws Exception {
        DataSet data = SyntheticImages.generate(SHAPE, 4, 64, 3);
        for (PrecisionSpec spec : List.of(PrecisionSpec.of(2, 4), PrecisionSpec.of(2, 8),
                PrecisionSpec.of(4, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ),
                PrecisionSpec.of(2, 4).withMethods(WeightMethod.FIXED, ActivationMethod.PACT),
                PrecisionSpec.of(4, 4).withWeightScaling(org.apprentice.quant.KBitWeights.Scaling.PER_CHANNEL)
                        .withMethods(WeightMethod.LSQ, ActivationMethod.LSQ))) {
            ComputationGraph net = trained(spec, data);
            File onnx = dir.resolve("int8.onnx").toFile();
            // ConvInteger wherever it can be (these convolutions are far below the size where it pays)
            IntegerOnnx.Plan plan = IntegerOnnx.write(net, new DataRecord(null, SHAPE, NORMALIZATION), onnx, 0);
            // of 19 quantized convolutions, 14 read quantized activations and feed a quantizer, directly or through a
            // sum with a quantized shortcut; 5 read quantized activations but add an unbounded term (the stem's
            // full-precision ReLU, or a projection shortcut) and accumulate in int32; the first block's conv1 reads
            // the stem's ReLU and stays float
            assertEquals(19, plan.integerConvolutions().size(), spec + ": " + plan);
            assertEquals(List.of("layer1.0.conv2", "layer2.0.conv2", "layer2.0.downsample.0", "layer3.0.conv2",
                    "layer3.0.downsample.0"), plan.accumulating().stream().sorted().toList(), plan.toString());
            assertEquals(java.util.Set.of("conv1", "layer1.0.conv1"), plan.floatConvolutions().keySet());
            java.util.Map<String, Long> nodes = optimizedNodes(onnx);
            assertEquals(14L, nodes.get("QLinearConv"), spec + ": ONNX Runtime fuses each other one into QLinearConv");
            assertEquals(5L, nodes.get("ConvInteger"), spec + ": " + nodes);
            // the six sums of two quantized terms (the identity-shortcut blocks after the first) fuse too
            assertEquals(6L, nodes.get("QLinearAdd"), spec + ": " + nodes);
            IntegerAgreement.Report a = IntegerAgreement.compare(onnx, plan, net, new ListDataSetIterator<>(
                    normalized(data).asList(), 16), 1e-4);
            assertEquals(64, a.images());
            assertEquals(List.of(), a.unexplained(), spec + ": " + a);
        }
    }

    /** The synthetic images as pixels in [0, 1], normalized as the file says (DL4J sees these features). */
    private static DataSet normalized(DataSet pixels) {
        DataSet copy = pixels.copy();
        copy.getFeatures().subi(NORMALIZATION.mean()[0]).divi(NORMALIZATION.std()[0]);
        return copy;
    }

    /** With the stem's activation quantized (--quantize-first), the first block reads codes and becomes integer. */
    @Test
    void aQuantizedStemActivationMakesTheFirstBlockInteger() throws Exception {
        DataSet data = SyntheticImages.generate(SHAPE, 4, 64, 3);
        ComputationGraph net = trained(PrecisionSpec.of(2, 4).withQuantizedEnds(true, false), data);
        File onnx = dir.resolve("first.onnx").toFile();
        IntegerOnnx.Plan plan = IntegerOnnx.write(net, new DataRecord(null, SHAPE, NORMALIZATION), onnx, 0);
        assertEquals(java.util.Set.of("conv1"), plan.floatConvolutions().keySet(), plan.toString());
        assertTrue(plan.floatConvolutions().get("conv1").contains("input is full precision"), plan.toString());
        assertEquals(16L, optimizedNodes(onnx).get("QLinearConv"));
        assertEquals(4L, optimizedNodes(onnx).get("ConvInteger"));
        IntegerAgreement.Report a = IntegerAgreement.compare(onnx, plan, net, new ListDataSetIterator<>(
                normalized(data).asList(), 16), 1e-4);
        assertEquals(List.of(), a.unexplained(), a.toString());
    }

    /**
     * An ImageNet-shaped resnet18 (small here) with its stem's activation quantized: the max pool after the stem
     * passes codes on, so the first block reads codes, adds them, and is integer, and the agreement check holds.
     */
    @Test
    void aQuantizedStemReachesTheFirstBlockThroughTheMaxPool() throws Exception {
        InputShape shape = new InputShape(3, 32, 32);
        DataSet data = SyntheticImages.generate(shape, 4, 32, 3);
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet18", 4, shape).withWidthMultiplier(0.25)
                .withPrecision(PrecisionSpec.of(2, 4).withOverride("conv1", new LayerPrecision(32, 8))));
        for (int i = 0; i < 3; i++) {
            net.fit(data);
        }
        File onnx = dir.resolve("pooled.onnx").toFile();
        IntegerOnnx.Plan plan = IntegerOnnx.write(net, new DataRecord(null, shape, null), onnx, 0);
        assertEquals("relu", plan.quantizers().get(0).layer());
        assertEquals(java.util.Set.of("conv1"), plan.floatConvolutions().keySet(), plan.toString());
        assertEquals(19, plan.integerConvolutions().size(), plan.toString());
        java.util.Map<String, Long> nodes = optimizedNodes(onnx);
        assertEquals(13L, nodes.get("QLinearConv"), nodes.toString());
        IntegerAgreement.Report a = IntegerAgreement.compare(onnx, plan, net, new ListDataSetIterator<>(data.asList(),
                16), 1e-4);
        assertEquals(32, a.images());
        assertEquals(List.of(), a.unexplained(), a.toString());
    }

    /**
     * Where ConvInteger goes at the default size threshold: on a resnet18 at 224x224, every convolution whose sum has
     * an unbounded term (6.4M multiply-adds per image and more); on the test's small resnet20, none, and the plan
     * says why each stays float.
     */
    @Test
    void convIntegerOnlyWhereTheConvolutionIsLarge() {
        InputShape imagenet = new InputShape(3, 224, 224);
        ComputationGraph resnet18 = ResNetBuilder.build(ResNetConfig.of("resnet18", 10, imagenet)
                .withPrecision(PrecisionSpec.of(2, 4)));
        IntegerOnnx.Plan large = IntegerOnnx.model(resnet18, new DataRecord(null, imagenet, null)).getValue();
        assertEquals(List.of("layer1.0.conv2", "layer2.0.conv2", "layer2.0.downsample.0", "layer3.0.conv2",
                "layer3.0.downsample.0", "layer4.0.conv2", "layer4.0.downsample.0"),
                large.accumulating().stream().sorted().toList(), large.toString());
        assertEquals(java.util.Set.of("conv1", "layer1.0.conv1"), large.floatConvolutions().keySet());
        // with the stem's activation quantized (its weights full precision), the first block reads codes through the
        // max pool and adds them: both its convolutions have an integer output, and only the stem stays float
        ComputationGraph quantizedStem = ResNetBuilder.build(ResNetConfig.of("resnet18", 10, imagenet)
                .withPrecision(PrecisionSpec.of(2, 4).withOverride("conv1", new LayerPrecision(32, 8))));
        IntegerOnnx.Plan stem = IntegerOnnx.model(quantizedStem, new DataRecord(null, imagenet, null)).getValue();
        assertEquals(java.util.Set.of("conv1"), stem.floatConvolutions().keySet(), stem.toString());
        assertEquals(6, stem.accumulating().size(), stem.toString());
        assertFalse(stem.accumulating().contains("layer1.0.conv2"), stem.toString());

        DataSet data = SyntheticImages.generate(SHAPE, 4, 16, 3);
        ComputationGraph small = trained(PrecisionSpec.of(2, 4), data);
        IntegerOnnx.Plan plan = IntegerOnnx.model(small, new DataRecord(null, SHAPE, null)).getValue();
        assertEquals(List.of(), plan.accumulating(), plan.toString());
        assertEquals(14, plan.integerConvolutions().size(), plan.toString());
        assertTrue(plan.floatConvolutions().get("layer2.0.downsample.0").contains("multiply-adds per image"),
                plan.toString());
        IntegerOnnx.Plan unknown = IntegerOnnx.model(small, new DataRecord(null, null, null)).getValue();
        assertTrue(unknown.floatConvolutions().get("layer2.0.conv2").contains("unknown input size"), unknown.toString());
    }

    /**
     * The comparison can fail: a file whose weight scales are 10% off rounds codes far from any boundary the export's
     * own roundings could reach, and the check names the quantizer; so does one whose ConvInteger output is scaled 10%
     * off.
     */
    @Test
    void aWrongWeightScaleIsNotTakenForATie() throws Exception {
        DataSet data = SyntheticImages.generate(SHAPE, 4, 64, 3);
        ComputationGraph net = trained(PrecisionSpec.of(2, 4), data);
        record Case(long minAccumulatingMacs, String initializer, String quantizer) {
        }
        for (Case c : List.of(new Case(IntegerOnnx.ACCUMULATING_MIN_MACS, "layer2.0.conv1.weight.scale",
                "layer2.0.relu1"), new Case(0, "layer2.0.conv2.accumulator.scale", "layer2.0.relu"))) {
            File good = dir.resolve("good.onnx").toFile();
            IntegerOnnx.Plan plan = IntegerOnnx.write(net, new DataRecord(null, SHAPE, NORMALIZATION), good,
                    c.minAccumulatingMacs());
            File wrong = dir.resolve("wrong.onnx").toFile();
            scaled(good, c.initializer(), 1.1f, wrong);
            var iterator = new ListDataSetIterator<>(normalized(data).asList(), 16);
            assertEquals(List.of(), IntegerAgreement.compare(good, plan, net, iterator, 1e-4).unexplained());
            iterator.reset();
            IntegerAgreement.Report broken = IntegerAgreement.compare(wrong, plan, net, iterator, 1e-4);
            assertFalse(broken.unexplained().isEmpty(), c + ": " + broken);
            assertTrue(broken.unexplained().get(0).contains(c.quantizer()), c + ": " + broken);
        }
    }

    /** Writes {@code onnx} to {@code out} with the float initializer {@code name} multiplied by {@code factor}. */
    private static void scaled(File onnx, String name, float factor, File out) throws Exception {
        Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(onnx.toPath()));
        Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
        boolean found = false;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            Onnx.TensorProto t = graph.getInitializer(i);
            if (t.getName().equals(name)) {
                java.nio.FloatBuffer f = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
                java.nio.ByteBuffer scaled = java.nio.ByteBuffer.allocate(f.remaining() * 4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (f.hasRemaining()) {
                    scaled.putFloat(f.get() * factor);
                }
                graph.setInitializer(i, t.toBuilder().setRawData(org.nd4j.shade.protobuf.ByteString.copyFrom(
                        scaled.array())));
                found = true;
            }
        }
        assertTrue(found, name);
        Files.write(out.toPath(), model.toBuilder().setGraph(graph).build().toByteArray());
    }

    /** What cannot become integer is said, not hidden: a student whose activations are full precision has no file. */
    @Test
    void aStudentWithFullPrecisionActivationsHasNoIntegerFile() throws Exception {
        DataSet data = SyntheticImages.generate(SHAPE, 4, 32, 3);
        ComputationGraph net = trained(PrecisionSpec.of(2, 32), data);
        File onnx = dir.resolve("none.onnx").toFile();
        assertEquals(null, IntegerOnnx.writeIfInteger(net, new DataRecord(null, SHAPE, null), onnx));
        assertFalse(onnx.exists());
        IntegerOnnx.Plan plan = IntegerOnnx.model(net, new DataRecord(null, SHAPE, null)).getValue();
        assertTrue(plan.floatConvolutions().values().stream().allMatch(w -> w.contains("full")), plan.toString());
        ComputationGraph off = trained(PrecisionSpec.of(2, 4).withRoundingOff(), data);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IntegerOnnx.model(off, new DataRecord(null, SHAPE, null)));
        assertTrue(e.getMessage().contains("does not round"), e.getMessage());
    }
}
