package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One protocol for every quantized layer, whichever carries it (a fixed quantizer in a weight-noise slot, a learned
 * convolution, a k-bit activation function, a learned activation layer): a weight's grid gives back exactly the
 * weights the layer computes with, an activation's grid holds every value the layer outputs.
 */
class QuantizationProtocolTest {
    private static final InputShape SHAPE = new InputShape(1, 16, 16);

    private static ComputationGraph trained(PrecisionSpec spec) {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE).withWidthMultiplier(0.5)
                .withPrecision(spec));
        DataSet data = SyntheticImages.generate(SHAPE, 4, 32, 3);
        net.fit(data); // sets the learned quantizers' parameters, and moves every weight off its initial value
        return net;
    }

    @Test
    void everyCarrierAnswersTheSameProtocol() {
        for (PrecisionSpec spec : List.of(PrecisionSpec.of(2, 4), PrecisionSpec.of(4, 4),
                PrecisionSpec.of(4, 8).withWeightScaling(KBitWeights.Scaling.PER_CHANNEL),
                PrecisionSpec.of(2, 4).withMethods(WeightMethod.TTQ, ActivationMethod.PACT),
                PrecisionSpec.of(4, 4).withMethods(WeightMethod.LSQ, ActivationMethod.LSQ))) {
            ComputationGraph net = trained(spec);
            Map<String, INDArray> activations = net.feedForward(SyntheticImages.generate(SHAPE, 4, 8, 5).getFeatures(), false);
            int weights = 0;
            int grids = 0;
            for (Layer layer : net.getLayers()) {
                WeightQuantization w = WeightQuantization.of(layer.conf().getLayer());
                if (w != null) {
                    weights++;
                    assertEquals(spec.weights(), w.method(), spec + " " + layer.conf().getLayer().getLayerName());
                    assertWeightGrid(spec, w.grid(layer), w.effectiveWeights(layer));
                }
                ActivationQuantization a = ActivationQuantization.of(layer.conf().getLayer());
                if (a != null) {
                    grids++;
                    assertEquals(spec.activations(), a.method(), spec.toString());
                    assertActivationGrid(spec, a.grid(layer), activations.get(layer.conf().getLayer().getLayerName()));
                }
            }
            assertEquals(8, weights, spec + ": the body's six convolutions and two shortcut convolutions (first and last fp32)");
            assertEquals(6, grids, spec + ": the body's six activations");
            assertNull(WeightQuantization.of(net.getLayer("conv1").conf().getLayer()), "the first layer stays fp32");
        }
    }

    /** Codes are integers on the grid, and codes times scales are the layer's q(W), exactly. */
    private static void assertWeightGrid(PrecisionSpec spec, WeightGrid grid, INDArray effective) {
        INDArray codes = grid.codes();
        assertEquals(0.0, Transforms.abs(codes.sub(Transforms.round(codes)), false).maxNumber().doubleValue(), spec + "");
        assertTrue(Transforms.abs(codes).maxNumber().intValue() <= BitWidth.levels(grid.bits(), true), spec + "");
        INDArray rebuilt = switch (grid.scaling()) {
            case PER_TENSOR -> codes.mul(grid.scales()[0]);
            case PER_CHANNEL -> {
                assertEquals(codes.size(0), grid.scales().length, spec + ": one scale per output channel (axis 0)");
                long[] shape = new long[codes.rank()];
                java.util.Arrays.fill(shape, 1);
                shape[0] = codes.size(0);
                yield codes.mul(Nd4j.create(grid.scales(), shape, 'c').castTo(codes.dataType()));
            }
            case POSITIVE_NEGATIVE -> codes.gt(0).castTo(codes.dataType()).muli(grid.scales()[0])
                    .subi(codes.lt(0).castTo(codes.dataType()).muli(grid.scales()[1]));
        };
        assertEquals(0.0, Transforms.abs(rebuilt.sub(effective), false).maxNumber().doubleValue(),
                1e-6 * effective.amaxNumber().doubleValue(), spec + ": codes x scales = q(W)");
    }

    /** Every output of the layer is step times an integer in [0, levels], and the clip's top is levels steps. */
    private static void assertActivationGrid(PrecisionSpec spec, ActivationGrid grid, INDArray output) {
        assertTrue(grid.set() && grid.rounding() && !grid.signed(), spec + "");
        assertEquals(grid.high(), grid.levels() * grid.step(), 1e-6 * grid.high(), spec + "");
        INDArray levels = output.div(grid.step());
        assertEquals(0.0, Transforms.abs(levels.sub(Transforms.round(levels)), false).maxNumber().doubleValue(), 1e-3,
                spec + ": outputs on the grid");
        assertTrue(levels.minNumber().doubleValue() >= -1e-3 && levels.maxNumber().doubleValue() <= grid.levels() + 1e-3,
                spec + "");
    }

    /** A learned layer read before any training step: its grid sets the learned scales from W first, as q(W) does. */
    @Test
    void aGridReadBeforeAnyStepSetsTheLearnedScalesFirst() {
        for (WeightMethod method : List.of(WeightMethod.TTQ, WeightMethod.LSQ)) {
            PrecisionSpec spec = PrecisionSpec.of(2, 4).withMethods(method, ActivationMethod.FIXED);
            ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE).withWidthMultiplier(0.5)
                    .withPrecision(spec));
            Layer layer = net.getLayer("layer1.0.conv1");
            WeightGrid grid = WeightQuantization.of(layer.conf().getLayer()).grid(layer);
            for (float scale : grid.scales()) {
                assertTrue(scale > 0, method + ": " + java.util.Arrays.toString(grid.scales()));
            }
            assertWeightGrid(spec, grid, WeightQuantization.of(layer.conf().getLayer()).effectiveWeights(layer));
        }
    }

    @Test
    void aFullPrecisionNetworkHasNoQuantization() {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet8", 4, SHAPE).withWidthMultiplier(0.5));
        for (Layer layer : net.getLayers()) {
            assertNull(WeightQuantization.of(layer.conf().getLayer()));
            assertNull(ActivationQuantization.of(layer.conf().getLayer()));
        }
        assertNotNull(net.getLayer("conv1"));
    }
}
