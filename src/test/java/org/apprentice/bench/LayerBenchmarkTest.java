package org.apprentice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

/** The per-layer benchmark finds every layer of a network once per shape, counted, and times one. */
class LayerBenchmarkTest {
    private static final InputType INPUT = InputType.convolutional(32, 32, 3);

    @Test
    void resnet20CasesCountEveryLayerOfTheNetwork() {
        ResNetConfig config = ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32));
        List<LayerBenchmark.LayerCase> cases = LayerBenchmark.cases(ResNetBuilder.configuration(config), INPUT);
        Map<String, Integer> byKind = cases.stream().collect(Collectors.groupingBy(LayerBenchmark.LayerCase::kind,
                Collectors.summingInt(LayerBenchmark.LayerCase::count)));
        // 19 3x3 convolutions and 2 projections, a batch norm after each, 19 ReLUs, 9 residual additions
        assertEquals(21, byKind.get("conv"));
        assertEquals(21, byKind.get("batchnorm"));
        assertEquals(19, byKind.get("relu"));
        assertEquals(9, byKind.get("add"));
        assertEquals(1, byKind.get("avgpool"));
        assertTrue(cases.stream().anyMatch(c -> c.label().equals("conv 3x3 16->16 /1 at 32x32") && c.count() == 6));
        assertEquals(3, cases.stream().filter(c -> c.kind().equals("batchnorm")).count(), "one per stage's shape");
    }

    @Test
    void lowPrecisionNetworkHasQuantizerCasesAndOneTimes() {
        ResNetConfig config = ResNetConfig.of("resnet8", 10, new InputShape(3, 32, 32))
                .withPrecision(PrecisionSpec.of(2, 4));
        List<LayerBenchmark.LayerCase> cases = LayerBenchmark.cases(ResNetBuilder.configuration(config), INPUT);
        assertTrue(cases.stream().anyMatch(c -> c.kind().equals("conv fixed")));
        assertTrue(cases.stream().anyMatch(c -> c.kind().equals("act fixed")));
        LayerBenchmark.LayerCase bn = cases.stream().filter(c -> c.kind().equals("batchnorm")).findFirst().orElseThrow();
        LayerBenchmark.Timing t = LayerBenchmark.time(bn, 4, 1, 1);
        assertTrue(t.fastSeconds() > 0 && t.dl4jSeconds() > 0);
        LayerBenchmark.Timing add = LayerBenchmark.time(cases.stream().filter(c -> c.kind().equals("add"))
                .findFirst().orElseThrow(), 4, 1, 1);
        assertTrue(add.fastSeconds() > 0);
        assertFalse(add.dl4jSeconds() > 0, "DL4J's addition has no twin to time");
        assertEquals(new LayerBenchmark.TorchLayer("batchnorm", 4, bn.channels(), bn.height(), bn.width(), null, null,
                null, null), bn.torchSpec(4));
    }

    /**
     * The PyTorch side (bin/torch-layer-bench.py, run where Debian's PyTorch is installed, as CI installs it) times
     * every kind of layer the Java side sends it, at a small network's shapes: a kind it cannot build would come
     * back as NaN, a script error as a named failure.
     */
    @Test
    void pytorchTimesEveryKindOfLayerSentToIt() {
        TorchBaseline torch = new TorchBaseline(java.nio.file.Path.of("."));
        org.junit.jupiter.api.Assumptions.assumeTrue(torch.unavailable() == null, "PyTorch is not installed here");
        ResNetConfig config = ResNetConfig.of("resnet8", 10, new InputShape(3, 16, 16)).withWidthMultiplier(0.25);
        InputType input = InputType.convolutional(16, 16, 3);
        List<LayerBenchmark.LayerCase> cases = new java.util.ArrayList<>(
                LayerBenchmark.cases(ResNetBuilder.configuration(config), input));
        for (PrecisionSpec spec : List.of(PrecisionSpec.of(2, 4), PrecisionSpec.of(2, 4).withMethods(
                org.apprentice.quant.WeightMethod.LSQ, org.apprentice.quant.ActivationMethod.LSQ),
                PrecisionSpec.of(2, 4).withMethods(org.apprentice.quant.WeightMethod.TTQ,
                        org.apprentice.quant.ActivationMethod.PACT))) {
            LayerBenchmark.cases(ResNetBuilder.configuration(config.withPrecision(spec)), input).stream()
                    .filter(LayerBenchmark.LayerCase::quantized).forEach(cases::add);
        }
        double[] seconds = torch.runLayers(cases.stream().map(c -> c.torchSpec(2)).toList(), 0, 1, 1);
        assertEquals(cases.size(), seconds.length);
        for (int i = 0; i < seconds.length; i++) {
            assertTrue(seconds[i] > 0, cases.get(i).label() + ": " + seconds[i]);
        }
        assertEquals(java.util.Set.of("conv", "batchnorm", "relu", "add", "avgpool", "conv fixed", "act fixed",
                "conv lsq", "act lsq", "conv ttq", "act pact"),
                cases.stream().map(LayerBenchmark.LayerCase::kind).collect(Collectors.toSet()));
    }
}
