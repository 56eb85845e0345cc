package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The parameter table lists parameters in the order of the flattened parameter vector. DL4J lays the
 * vector out in topological order but lists the table in insertion order; tools that walk the table
 * to name vector entries (GradientCheckUtil, exporters) are wrong unless the two agree.
 */
class ParameterLayoutTest {

    static Stream<String> names() {
        return Stream.of("resnet8", "resnet20", "resnet18", "resnet50");
    }

    @ParameterizedTest
    @MethodSource("names")
    void parameterTableFollowsTheFlattenedLayout(String name) {
        int size = ModelRegistry.get(name).shape().downsampling();
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of(name, 3, new InputShape(3, size, size))
                .withWidthMultiplier(0.25));
        long offset = net.params().offset();
        for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
            assertEquals(offset, e.getValue().offset(), name + ": " + e.getKey());
            offset += e.getValue().length();
        }
        assertEquals(net.numParams(), offset - net.params().offset());
    }
}
