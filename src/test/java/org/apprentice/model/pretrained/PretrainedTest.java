package org.apprentice.model.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.TorchGolden;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pretrained PyTorch ResNets in: the same input gives the same logits as PyTorch within a relative 1e-4, for the
 * committed resnet8 fixture (made by the safetensors library and torch.onnx.export) and, where Debian's
 * python3-torch is installed, for torchvision's resnet18 and resnet50 and a small-image resnet20 made on the spot.
 */
class PretrainedTest {
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path temp;

    private static void assertMatchesTorch(Path folder, String name, String extension) {
        Map<String, INDArray> io = TorchGolden.io(folder, name);
        ComputationGraph net = ModelFiles.load(folder.resolve(name + extension).toFile(), "model");
        INDArray logits = net.feedForward(io.get("input"), false).get("fc");
        double error = TorchGolden.relativeError(logits, io.get("logits"));
        System.out.printf("%s%s: relative error %.2e against PyTorch%n", name, extension, error);
        assertTrue(error < TOLERANCE, name + extension + ": relative error " + error);
    }

    @Test
    void committedResnet8FromSafetensorsAndOnnxGivesPyTorchsLogits() {
        assertMatchesTorch(TorchGolden.FIXTURES, "resnet8", ".safetensors");
        assertMatchesTorch(TorchGolden.FIXTURES, "resnet8", ".onnx");
    }

    @Test
    void architectureClassesAndInputComeFromTheFile() {
        File safetensors = TorchGolden.FIXTURES.resolve("resnet8.safetensors").toFile();
        File onnx = TorchGolden.FIXTURES.resolve("resnet8.onnx").toFile();
        assertEquals(new ModelFiles.Architecture("resnet8", 1.0), ModelFiles.recordedArchitecture(safetensors));
        assertEquals(new ModelFiles.Architecture("resnet8", 1.0), ModelFiles.recordedArchitecture(onnx));
        assertEquals(10, ModelFiles.classes(ModelFiles.load(safetensors, "model"), safetensors));
        assertNull(ModelFiles.recordedInput(safetensors), "a torchvision state dict states no input size");
        assertEquals(new InputShape(1, 28, 28), ModelFiles.recordedInput(onnx));
    }

    @Test
    void torchvisionResnet18Resnet50AndSmallImageResnet20GivePyTorchsLogits() throws Exception {
        assumeTrue(TorchGolden.torchAvailable(), "Debian's python3-torch/python3-torchvision not installed");
        TorchGolden.generate(temp, "--batch-norm-nodes", "resnet18", "resnet50", "resnet20:3:32:10");
        for (String name : new String[] {"resnet18", "resnet50", "resnet20"}) {
            assertMatchesTorch(temp, name, ".safetensors");
            assertMatchesTorch(temp, name, ".onnx");
        }
        assertMatchesTorch(temp, "resnet20", ".bn.onnx");
        // batch norm folded into the convolutions: fine for inference, refused as a starting point to fine-tune
        File folded = temp.resolve("resnet20.onnx").toFile();
        ResNetConfig w2a4 = ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32))
                .withPrecision(org.apprentice.model.PrecisionSpec.of(2, 4));
        String refusal = assertThrows(IllegalArgumentException.class, () -> ModelFiles.lowerPrecision(
                ModelFiles.load(folded, "model"), folded, w2a4, org.apprentice.model.OutputHead.softmaxCrossEntropy())).getMessage();
        assertTrue(refusal.contains("has its batch norm folded into the convolutions"), refusal);
        File kept = temp.resolve("resnet20.bn.onnx").toFile();
        ModelFiles.lowerPrecision(ModelFiles.load(kept, "model"), kept, w2a4, org.apprentice.model.OutputHead.softmaxCrossEntropy());
        assertEquals(new ModelFiles.Architecture("resnet50", 1.0),
                ModelFiles.recordedArchitecture(temp.resolve("resnet50.safetensors").toFile()));
    }

    private Map<String, INDArray> fixture() {
        return new LinkedHashMap<>(Safetensors.read(TorchGolden.FIXTURES.resolve("resnet8.safetensors").toFile()));
    }

    private String refusal(Map<String, INDArray> tensors) throws Exception {
        File file = temp.resolve("broken.safetensors").toFile();
        TorchGolden.write(tensors, Map.of(), file);
        return assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(file, "teacher model")).getMessage();
    }

    @Test
    void missingExtraAndMisShapedKeysAreRefusedNamingTheKeyAndShapes() throws Exception {
        Map<String, INDArray> missing = fixture();
        missing.remove("layer2.0.bn1.running_var");
        assertEquals("teacher model " + temp.resolve("broken.safetensors") + " has no key 'layer2.0.bn1.running_var', "
                + "which resnet8 needs (shape [32])", refusal(missing));

        Map<String, INDArray> extra = fixture();
        extra.put("head.weight", Nd4j.zeros(3, 4));
        assertTrue(refusal(extra).endsWith("has key 'head.weight' (shape [3, 4]), which no layer of resnet8 takes"));

        Map<String, INDArray> misShaped = fixture();
        misShaped.put("layer1.0.conv2.weight", Nd4j.zeros(16, 16, 5, 5));
        assertTrue(refusal(misShaped).endsWith(": key 'layer1.0.conv2.weight' has shape [16, 16, 5, 5], the network "
                + "needs [16, 16, 3, 3]"), refusal(misShaped));

        Map<String, INDArray> noStem = fixture();
        noStem.remove("conv1.weight");
        assertTrue(refusal(noStem).contains("has no key 'conv1.weight': not a ResNet state dict under torchvision's names"));
    }

    @Test
    void aTeacherWithOtherClassesOrChannelsIsRefused() {
        File file = TorchGolden.FIXTURES.resolve("resnet8.safetensors").toFile();
        ResNetConfig cifar = ResNetConfig.of("resnet8", 10, new InputShape(3, 32, 32));
        assertEquals("model " + file + " takes input 1 channels, the student has 3x32x32",
                assertThrows(IllegalArgumentException.class, () -> ModelFiles.loadTeacher(file, cifar, null, null)).getMessage());
        ResNetConfig hundred = ResNetConfig.of("resnet8", 100, new InputShape(1, 28, 28));
        assertEquals("model " + file + " has 10 classes, the student has 100",
                assertThrows(IllegalArgumentException.class, () -> ModelFiles.loadTeacher(file, hundred, null, null)).getMessage());
    }

    @Test
    void aCorruptHeaderIsOneLineNamingTheFile() throws Exception {
        File file = temp.resolve("corrupt.safetensors").toFile();
        java.nio.file.Files.write(file.toPath(), new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0, '{'});
        String message = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(file, "--model")).getMessage();
        assertEquals("--model " + file + " is not a readable safetensors file: its header length 200 does not fit a "
                + "file of 9 bytes", message);
    }

    @Test
    void halfPrecisionValuesConvert() {
        assertEquals(1.0f, Safetensors.half((short) 0x3c00));
        assertEquals(-2.0f, Safetensors.half((short) 0xc000));
        assertEquals(65504f, Safetensors.half((short) 0x7bff));
        assertEquals((float) Math.pow(2, -24), Safetensors.half((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, Safetensors.half((short) 0x7c00));
    }
}
