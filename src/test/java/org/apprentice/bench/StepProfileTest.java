package org.apprentice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step profile charges each sample to the innermost operation on its stack. */
class StepProfileTest {

    @Test
    void samplesAreChargedToTheInnermostOperation() {
        String fit = "org.deeplearning4j.nn.graph.ComputationGraph.fit";
        String convBackprop = "org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.backpropGradient";
        String convForward = "org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.preOutput";
        assertEquals("convolution backward", StepProfile.part(List.of(
                "org.nd4j.nativeblas.Nd4jCpu.execCustomOp2", "org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper"
                        + ".backpropGradient", convBackprop, fit)));
        assertEquals("convolution forward", StepProfile.part(List.of(convForward,
                "org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.activate", fit)));
        assertEquals("convolution backward", StepProfile.part(List.of(convForward, convBackprop, fit)),
                "the forward DL4J recomputes inside backprop belongs to the backward pass");
        assertEquals("weight quantizer", StepProfile.part(List.of("org.apprentice.quant.QuantizedWeights.getParameter",
                convForward, fit)));
        assertEquals("batch norm forward", StepProfile.part(List.of(
                "org.deeplearning4j.nn.layers.normalization.BatchNormalization.activate", fit)));
        assertEquals("updater (Nesterov, weight decay)", StepProfile.part(List.of(
                "org.nd4j.linalg.learning.NesterovsUpdater.applyUpdater",
                "org.deeplearning4j.nn.updater.BaseMultiLayerUpdater.update", fit)));
        assertEquals("other (graph bookkeeping, Java)", StepProfile.part(List.of(fit)));
    }

    @Test
    void theProjectsOwnLayersAreChargedAsTheLayersTheyReplace() {
        String fit = "org.deeplearning4j.nn.graph.ComputationGraph.fit";
        String fastConvBackprop = "org.apprentice.nn.FastConvolutionLayer.backpropGradient";
        assertEquals("convolution backward", StepProfile.part(List.of("org.nd4j.linalg.factory.Nd4j.exec",
                fastConvBackprop, fit)));
        assertEquals("batch norm backward", StepProfile.part(List.of("org.nd4j.linalg.factory.Nd4j.exec",
                "org.apprentice.nn.FastBatchNormLayer.backpropGradient", fit)));
        assertEquals("batch norm forward", StepProfile.part(List.of(
                "org.apprentice.nn.FastBatchNormLayer.preOutput", fit)));
        assertEquals("ReLU (forward and backward)", StepProfile.part(List.of(
                "org.apprentice.nn.FastActivationLayer.activate", fit)));
        assertEquals("weight quantizer", StepProfile.part(List.of("org.apprentice.quant.LsqQuantizer.gradients",
                "org.apprentice.quant.LearnedParameters.gradients",
                "org.apprentice.quant.LearnedConvolutionLayer.backpropGradient", fit)));
        assertEquals("convolution backward", StepProfile.part(List.of("org.nd4j.linalg.factory.Nd4j.exec",
                fastConvBackprop, "org.apprentice.quant.LearnedConvolutionLayer.backpropGradient", fit)));
        assertEquals("activation quantizer", StepProfile.part(List.of("org.apprentice.quant.LsqQuantizer.gradients",
                "org.apprentice.quant.LearnedActivationLayer.backpropGradient", fit)));
    }

    @Test
    void aProfileAccountsForTheWholeStep() {
        ResNetConfig config = ResNetConfig.of("resnet8", 4, new InputShape(1, 16, 16)).withWidthMultiplier(0.5)
                .withPrecision(PrecisionSpec.of(2, 4));
        List<StepProfile.Part> parts = TrainingStepBenchmark.profile(config, 32, 1, 20);
        assertEquals(StepProfile.ORDER, parts.stream().map(StepProfile.Part::name).toList());
        assertEquals(1.0, parts.stream().mapToDouble(StepProfile.Part::share).sum(), 1e-9);
        assertTrue(parts.stream().filter(p -> p.name().startsWith("convolution")).mapToLong(StepProfile.Part::samples)
                .sum() > 0, parts.toString());
    }

    @Test
    void pytorchIsOptionalAndSaysWhyItIsAbsent(@TempDir Path home) {
        assertTrue(new TorchBaseline(home).unavailable().contains("torch-resnet-bench.py is missing"));
    }

    @Test
    void pytorchsFigureIsReadFromTheScriptsLastLineAndAFailureIsNamed(@TempDir Path home) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of(TorchBaseline.PYTHON)));
        Path script = java.nio.file.Files.createDirectories(home.resolve("bin")).resolve("torch-resnet-bench.py");
        java.nio.file.Files.writeString(script, "import sys\nprint('warming up')\nprint('{\"model\": \"' + sys.argv[1]"
                + " + '\", \"batch\": 8, \"threads\": 1, \"torch\": \"x\", \"median_seconds\": 0.5, "
                + "\"images_per_second\": 16.0, \"parameters\": 272474}')\n");
        TorchBaseline.Result r = new TorchBaseline(home).run("resnet20", 8, new InputShape(3, 32, 32), 10, 0, 1, 1);
        assertEquals(new TorchBaseline.Result("resnet20", 8, 1, "x", 0.5, 16.0, 272474), r);
        java.nio.file.Files.writeString(script, "raise SystemExit('no torch here')\n");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> new TorchBaseline(home).run("resnet20", 8, new InputShape(3, 32, 32), 10, 0, 1, 1));
        assertTrue(e.getMessage().contains("PyTorch benchmark of resnet20 failed: no torch here"), e.getMessage());
    }
}
