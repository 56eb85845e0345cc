package org.apprentice.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apprentice.data.SyntheticImages;
import org.apprentice.kd.ApprenticeLoss;
import org.apprentice.kd.Heads;
import org.apprentice.model.InputShape;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.quant.KBitWeights;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Export: the plain-DL4J zip and the packed file reproduce the training graph's predictions. */
class ExportTest {
    private static final InputShape SHAPE = new InputShape(1, 12, 12);

    @TempDir
    Path dir;

    private static ComputationGraph trainedStudent(PrecisionSpec precision) {
        ComputationGraph student = ResNetBuilder.build(ResNetConfig.of("resnet8", 3, SHAPE).withWidthMultiplier(0.5)
                .withPrecision(precision), Heads.apprentice(new ApprenticeLoss()));
        DataSet data = SyntheticImages.generate(SHAPE, 3, 12, 4);
        INDArray labels = ApprenticeLoss.labels(data.getLabels(), data.getLabels().mul(3));
        for (int i = 0; i < 3; i++) {
            student.fit(new INDArray[] {data.getFeatures()}, new INDArray[] {labels});
        }
        return student;
    }

    private static INDArray batch() {
        return SyntheticImages.generate(SHAPE, 3, 9, 5).getFeatures();
    }

    @Test
    void plainDl4jZipStoresQuantizedWeightsAndPredictsAsTheTrainingGraph() throws Exception {
        ComputationGraph student = trainedStudent(PrecisionSpec.of(2, 8));
        ComputationGraph deployable = Exporter.deployable(student);
        File zip = dir.resolve("deploy.zip").toFile();
        ModelSerializer.writeModel(deployable, zip, false);
        ComputationGraph loaded = ModelSerializer.restoreComputationGraph(zip, false);
        assertNull(org.apprentice.quant.WeightQuantization.of(loaded.getLayer("layer2.0.conv1").conf().getLayer()), "plain DL4J convolution");
        assertTrue(org.apprentice.quant.QuantizersTest.distinct(loaded.getLayer("layer2.0.conv1").getParam("W")) <= 3);
        INDArray logits = student.outputSingle(false, batch());
        INDArray probabilities = loaded.outputSingle(false, batch());
        assertArrayEquals(logits.argMax(1).toIntVector(), probabilities.argMax(1).toIntVector());
        assertTrue(probabilities.sum(1).equalsWithEps(org.nd4j.linalg.factory.Nd4j.ones(9), 1e-5));
        // the softmax of the student's logits, exactly what the training graph computes
        assertTrue(org.nd4j.linalg.ops.transforms.Transforms.softmax(logits, true).equalsWithEps(probabilities, 1e-5));
    }

    @Test
    void packedFileReadsBackToIdenticalPredictionsAndIsAsSmallAsItsTable() throws Exception {
        for (PrecisionSpec precision : List.of(PrecisionSpec.of(2, 4),
                PrecisionSpec.of(4, 8).withWeightScaling(KBitWeights.Scaling.PER_CHANNEL))) {
            ComputationGraph student = trainedStudent(precision);
            File packed = dir.resolve(precision.body().label() + ".packed").toFile();
            List<PackedModel.Entry> table = PackedModel.write(student, org.apprentice.model.DataRecord.NONE, packed);
            ComputationGraph restored = PackedModel.read(packed);
            assertEquals(Exporter.deployable(student).outputSingle(false, batch()), restored.outputSingle(false, batch()),
                    precision.toString());
            long payload = table.stream().mapToLong(PackedModel.Entry::packedBytes).sum();
            long fp32 = table.stream().mapToLong(PackedModel.Entry::fp32Bytes).sum();
            assertEquals(4 * student.numParams(), fp32);
            PackedModel.Entry conv = table.stream().filter(e -> e.parameter().equals("layer2.0.conv2_W")).findFirst()
                    .orElseThrow();
            int bits = precision.body().weightBits();
            long scales = bits == 2 ? 1 : 16; // per output channel of a 16-channel layer
            assertEquals((conv.count() * bits + 7) / 8 + 4 * scales, conv.packedBytes(), precision.toString());
            // the file is the table's payload plus the gzipped configuration and small per-parameter headers
            long overhead = packed.length() - payload;
            assertTrue(overhead > 0 && overhead < 12_000, "overhead " + overhead);
            assertTrue(packed.length() < fp32 / 3, packed.length() + " vs " + fp32);
        }
    }

    @Test
    void bitPackingRoundTrips() {
        int[] ternary = {-1, 0, 1, 1, -1, 0, 0, 1, -1};
        assertArrayEquals(ternary, PackedModel.unpack(PackedModel.pack(ternary, 2, 1), ternary.length, 2, 1));
        assertEquals(3, PackedModel.pack(ternary, 2, 1).length);
        int[] fourBit = {-7, 7, 0, 3, -2};
        assertArrayEquals(fourBit, PackedModel.unpack(PackedModel.pack(fourBit, 4, 7), fourBit.length, 4, 7));
    }

    @Test
    void foreignOrTruncatedPackedFilesAreNamed() throws Exception {
        File foreign = dir.resolve("foreign.packed").toFile();
        Files.writeString(foreign.toPath(), "hello");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedModel.read(foreign));
        assertTrue(e.getMessage().contains(foreign.toString()), e.getMessage());

        File good = dir.resolve("good.packed").toFile();
        org.apprentice.model.Normalization gray = new org.apprentice.model.Normalization(new double[] {0.25},
                new double[] {0.5});
        PackedModel.write(trainedStudent(PrecisionSpec.of(2, 4)), new org.apprentice.model.DataRecord(List.of("x", "y",
                "z"), SHAPE, gray), good);
        assertEquals(SHAPE, PackedModel.recordedData(good).input());
        assertEquals(gray, PackedModel.recordedData(good).normalization(), "version 3 records the normalization");
        assertEquals(List.of("x", "y", "z"), PackedModel.recordedData(good).classNames());
        byte[] bytes = Files.readAllBytes(good.toPath());
        File truncated = dir.resolve("truncated.packed").toFile();
        Files.write(truncated.toPath(), Arrays.copyOf(bytes, bytes.length - 100));
        e = assertThrows(IllegalArgumentException.class, () -> PackedModel.read(truncated));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
