package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.Sgd;

/** The ResNet family: sizes against torchvision, shapes, a training step for every name, errors. */
class ResNetFamilyTest {

    static Stream<Arguments> torchvisionParameterCounts() {
        return Stream.of(
                // trainable parameters, and batch-norm channels (torchvision's running_mean buffers)
                Arguments.of("resnet18", 11_689_512L, 4_800L),
                Arguments.of("resnet34", 21_797_672L, 8_512L),
                Arguments.of("resnet50", 25_557_032L, 26_560L),
                Arguments.of("resnet101", 44_549_160L, 52_672L),
                Arguments.of("resnet152", 60_192_808L, 75_712L));
    }

    @ParameterizedTest
    @MethodSource("torchvisionParameterCounts")
    void trainableParametersEqualTorchvision(String name, long expected, long batchNormChannels) {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of(name, 1000, new InputShape(3, 224, 224)));
        assertEquals(expected, Parameters.trainable(net), name);
        // the running statistics exist but are not counted: exactly a mean and a variance per batch-norm channel
        assertEquals(expected + 2 * batchNormChannels, net.numParams(), name);
    }

    /**
     * Each registry entry carries its model's facts: its default teacher (the next deeper ResNet of its family, the
     * deepest teaching itself), its design input size, and torchvision's names of its first convolution and
     * classifier, which the built network has.
     */
    @Test
    void everyRegistryEntryCarriesItsModelsFacts() {
        Map<String, String> teachers = Map.of("resnet8", "resnet20", "resnet20", "resnet32", "resnet56", "resnet110",
                "resnet110", "resnet110", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet152");
        teachers.forEach((student, teacher) -> assertEquals(teacher, ModelRegistry.get(student).defaultTeacher()));
        for (String name : ModelRegistry.names()) {
            ResNetArchitecture entry = ModelRegistry.get(name);
            ResNetArchitecture teacher = ModelRegistry.get(entry.defaultTeacher());
            assertEquals(entry.shape(), teacher.shape(), name + " is taught within its family");
            assertTrue(java.util.Arrays.stream(teacher.stageDepths()).sum() >= java.util.Arrays.stream(entry.stageDepths())
                    .sum(), name + " is taught by a network at least as deep");
            assertEquals(entry.shape() == StemShape.IMAGENET ? 224 : 32, entry.defaultImageSize(), name);
        }
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 3, new InputShape(1, 16, 16)));
        ResNetArchitecture entry = ModelRegistry.get("resnet8");
        assertEquals(1, ((org.deeplearning4j.nn.conf.layers.ConvolutionLayer) net.getLayer(entry.firstConvolution())
                .conf().getLayer()).getNIn());
        assertEquals(3, ((org.deeplearning4j.nn.conf.layers.DenseLayer) net.getLayer(entry.classifier()).conf()
                .getLayer()).getNOut());
    }

    @Test
    void smallImageResNet20HasHeEtAlSize() {
        // He et al.'s ResNet-20 (parameter-free shortcuts) has 269,722 parameters ("0.27M"); ours uses
        // 1x1 projection shortcuts where the shape changes (16->32, 32->64), adding their convolutions
        // (512 + 2048) and batch norms (64 + 128).
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32)));
        assertEquals(269_722L + 512 + 64 + 2048 + 128, Parameters.trainable(net));
    }

    @Test
    void imagenetShapeEndsInSevenBySevenAt224() {
        Map<String, InputType> types18 = activationTypes("resnet18", new InputShape(3, 224, 224));
        assertEquals(InputType.convolutional(7, 7, 512), types18.get("layer4.1.relu"));
        assertEquals(InputType.convolutional(56, 56, 64), types18.get("maxpool"));
        Map<String, InputType> types50 = activationTypes("resnet50", new InputShape(3, 224, 224));
        assertEquals(InputType.convolutional(7, 7, 2048), types50.get("layer4.2.relu"));

        // and a real forward pass agrees with the configuration
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet18", 5, new InputShape(3, 224, 224)));
        Map<String, INDArray> acts = net.feedForward(Nd4j.rand(1, 3, 224, 224), false);
        assertArrayEquals(new long[] {1, 512, 7, 7}, acts.get("layer4.1.relu").shape());
        assertArrayEquals(new long[] {1, 5}, acts.get(ResNetBuilder.OUTPUT).shape());
    }

    @Test
    void smallImageShapeEndsInEightByEightBySixtyFourAt32() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32)));
        Map<String, INDArray> acts = net.feedForward(Nd4j.rand(2, 3, 32, 32), false);
        assertArrayEquals(new long[] {2, 64, 8, 8}, acts.get("layer3.2.relu").shape());
        assertArrayEquals(new long[] {2, 16, 32, 32}, acts.get("layer1.2.relu").shape());
    }

    @Test
    void widthMultiplierScalesEveryStage() {
        Map<String, InputType> wide = activationTypes(
                ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32)).withWidthMultiplier(2.0));
        assertEquals(InputType.convolutional(32, 32, 32), wide.get("relu"));
        assertEquals(InputType.convolutional(8, 8, 128), wide.get("layer3.2.relu"));
    }

    @Test
    void reluOutputsAreNonNegativeAfterBatchNorm() {
        // M2.1 ignores BatchNormalization.Builder().activation(): every ReLU must be its own layer.
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, new InputShape(1, 16, 16)));
        Map<String, INDArray> acts = net.feedForward(Nd4j.randn(3, 1, 16, 16), true);
        int relus = 0;
        for (Map.Entry<String, INDArray> e : acts.entrySet()) {
            if (e.getKey().endsWith("relu") || e.getKey().endsWith("relu1")) {
                relus++;
                assertEquals(0, e.getValue().scan(Conditions.lessThan(0)).intValue(), e.getKey());
            }
        }
        assertEquals(1 + 3 * 2, relus);
        // while batch norm outputs themselves do go negative
        assertTrue(acts.get("bn1").minNumber().doubleValue() < 0);
    }

    static Stream<String> allNames() {
        return ModelRegistry.names().stream();
    }

    @ParameterizedTest
    @MethodSource("allNames")
    void everyRegisteredModelTrainsOneStepOnATinyInput(String name) {
        // the smallest input whose last feature map is 2x2, so batch norm sees more than one value per sample
        int size = 2 * ModelRegistry.get(name).shape().downsampling();
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of(name, 3, new InputShape(3, size, size))
                .withUpdater(new Sgd(0.01), 0));
        INDArray x = Nd4j.rand(4, 3, size, size);
        INDArray y = Nd4j.createFromArray(new float[][] {{1, 0, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0}});
        INDArray before = net.params().dup();
        net.fit(new INDArray[] {x}, new INDArray[] {y});
        assertTrue(Double.isFinite(net.score()), name + " score " + net.score());
        assertFalse(before.equals(net.params()), name + ": parameters did not change");
        INDArray out = net.outputSingle(x);
        assertArrayEquals(new long[] {4, 3}, out.shape());
        assertEquals(4.0, out.sumNumber().doubleValue(), 1e-4, name + " outputs " + out);
    }

    @Test
    void unknownNameNamesItAndListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.get("resnet19"));
        assertTrue(e.getMessage().contains("'resnet19'"), e.getMessage());
        assertTrue(e.getMessage().contains("resnet18, resnet34, resnet50"), e.getMessage());
        assertTrue(e.getMessage().contains("resnet110"), e.getMessage());
    }

    @Test
    void nonPositiveClassCountIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNetBuilder.configuration(ResNetConfig.of("resnet20", 0, new InputShape(3, 32, 32))));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }

    @Test
    void inputTooSmallForTheDownsamplingIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNetBuilder.configuration(ResNetConfig.of("resnet18", 10, new InputShape(3, 16, 224))));
        assertTrue(e.getMessage().contains("3x16x224"), e.getMessage());
        assertTrue(e.getMessage().contains("at least 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ResNetBuilder.configuration(ResNetConfig.of("resnet20", 10, new InputShape(1, 3, 3))));
    }

    @Test
    void badInputShapeTextNamesTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputShape.parse("3,32"));
        assertTrue(e.getMessage().contains("'3,32'"));
        assertEquals(new InputShape(1, 28, 28), InputShape.parse("1,28,28"));
    }

    private static Map<String, InputType> activationTypes(String name, InputShape input) {
        return activationTypes(ResNetConfig.of(name, 1000, input));
    }

    private static Map<String, InputType> activationTypes(ResNetConfig config) {
        ComputationGraphConfiguration conf = ResNetBuilder.configuration(config);
        InputShape in = config.input();
        return conf.getLayerActivationTypes(InputType.convolutional(in.height(), in.width(), in.channels()));
    }
}
