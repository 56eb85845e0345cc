package org.apprentice.model.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.TorchGolden;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A full-precision model written as a safetensors state dict under torchvision's names: read back by Apprentice it is
 * the same network with the same records; PyTorch loads it strictly into torchvision's (or torch_golden.py's small-image)
 * ResNet and gives DL4J's logits.
 */
class SafetensorsExportTest {
    @TempDir
    Path dir;

    private static final Normalization NORMALIZATION = new Normalization(new double[] {0.3}, new double[] {0.4});

    /** A network with trained weights and batch-norm statistics that are not their initial values. */
    private static ComputationGraph trained(String name, InputShape input, int classes, double width) {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of(name, classes, input).withWidthMultiplier(width)
                .withSeed(3));
        DataSet data = SyntheticImages.generate(input, classes, 32, 5);
        for (int i = 0; i < 3; i++) {
            net.fit(data);
        }
        return net;
    }

    @Test
    void writtenThenReadBackIsTheSameNetworkWithItsRecords() throws Exception {
        ComputationGraph net = trained("resnet8", SyntheticImages.SHAPE, 4, 0.5);
        File file = dir.resolve("resnet8.safetensors").toFile();
        Pretrained.save(net, new DataRecord(SyntheticImages.CLASS_NAMES, SyntheticImages.SHAPE, NORMALIZATION), file);
        ComputationGraph back = ModelFiles.load(file, "model");
        INDArray x = SyntheticImages.generate(SyntheticImages.SHAPE, 4, 8, 9).getFeatures();
        INDArray ours = net.outputSingle(false, x);
        assertTrue(TorchGolden.relativeError(back.outputSingle(false, x), ours) < 1e-5);
        assertEquals(SyntheticImages.CLASS_NAMES, ModelFiles.recordedClasses(file));
        assertEquals(NORMALIZATION, ModelFiles.recordedNormalization(file));
        assertEquals(SyntheticImages.SHAPE, ModelFiles.recordedInput(file));
        assertEquals(new ModelFiles.Architecture("resnet8", 0.5), ModelFiles.recordedArchitecture(file));
        Map<String, INDArray> dict = Safetensors.read(file);
        assertEquals(0.0, dict.get("bn1.num_batches_tracked").getDouble(0), "torchvision's strict load needs it");
    }

    /** PyTorch's strict {@code load_state_dict} takes the file, and its logits are DL4J's (small-image and ImageNet). */
    @Test
    void pyTorchLoadsItStrictlyAndGivesDl4jsLogits() throws Exception {
        Assumptions.assumeTrue(TorchGolden.torchAvailable(), "Debian's python3-torch and python3-torchvision");
        for (Object[] c : new Object[][] {{"resnet8", SyntheticImages.SHAPE}, {"resnet18", new InputShape(3, 64, 64)}}) {
            String name = (String) c[0];
            InputShape input = (InputShape) c[1];
            ComputationGraph net = trained(name, input, 4, 1.0); // torchvision's and torch_golden.py's widths
            File model = dir.resolve(name + ".safetensors").toFile();
            Pretrained.save(net, new DataRecord(null, input, null), model);
            INDArray x = SyntheticImages.generate(input, 4, 4, 11).getFeatures().castTo(DataType.FLOAT);
            File io = dir.resolve(name + ".io.safetensors").toFile();
            INDArray logits = net.feedForward(x, false).get(ResNetBuilder.LOGITS);
            Safetensors.write(io, new java.util.LinkedHashMap<>(Map.of("input", x, "logits", logits)), Map.of());
            Process p = new ProcessBuilder(List.of("/usr/bin/python3", "src/test/python/torch_load_check.py",
                    model.toString(), io.toString(), name, "4")).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0, name + ": " + log);
            double error = Double.parseDouble(log.lines().reduce((a, b) -> b).orElseThrow());
            System.out.printf("PyTorch on the exported %s: relative error %.3g%n", name, error);
            assertTrue(error < 1e-4, name + ": " + error);
        }
    }
}
