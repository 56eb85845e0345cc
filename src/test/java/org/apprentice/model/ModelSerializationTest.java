package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A ResNet saved as a DL4J zip and restored computes exactly the same outputs. */
class ModelSerializationTest {

    @Test
    void restoredModelGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet20", 10, new InputShape(1, 28, 28)));
        INDArray x = Nd4j.rand(5, 1, 28, 28);
        // one training step so that weights and batch-norm running statistics are not at their init
        net.fit(new INDArray[] {x}, new INDArray[] {Nd4j.eye(5).getColumns(0, 1, 2, 3, 4, 0, 1, 2, 3, 4)});
        INDArray expected = net.outputSingle(x);

        File zip = dir.resolve("resnet20.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip, true);

        assertEquals(net.getConfiguration().toJson(), restored.getConfiguration().toJson());
        assertEquals(net.params(), restored.params());
        assertEquals(expected, restored.outputSingle(x));
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }
}
