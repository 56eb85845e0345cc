package org.apprentice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.apprentice.model.InputShape;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

/**
 * The backend the build chose is the one ND4J runs; on the CPU, the speed fix: oneDNN helpers attach to every
 * convolution and batch norm of a ResNet.
 */
class BackendTest {

    @Test
    void theBackendIsTheOneTheBuildChose() {
        assertEquals(Backend.built(), Backend.name(), "the Maven profile chose " + Backend.built()
                + " but ND4J loaded " + Backend.name() + ": two backends on the classpath?");
    }

    @Test
    void cpuBackendHasOneDnnSwitchedOn() {
        assumeTrue(Backend.isCpu(), "oneDNN is the CPU backend's");
        Backend.configure();
        assertEquals("false", System.getProperty(Backend.HELPERS_DISABLE));
        assertTrue(Backend.oneDnnEnabled(), "BaseMKLDNNHelper.mklDnnEnabled() is false: the Nd4jCpu shim "
                + "or the -onednn natives are missing");
    }

    @Test
    void everyConvolutionAndBatchNormOfAResNetHasItsOneDnnHelper() {
        assumeTrue(Backend.isCpu(), "oneDNN is the CPU backend's");
        ComputationGraph net = ResNetBuilder.build(ResNetConfig.of("resnet20", 10, new InputShape(3, 32, 32)));
        List<String> report = Backend.helperReport(net);
        // 19 convolutions + 2 projections, and as many batch norms
        assertEquals(2 * 21, report.size(), report.toString());
        for (String line : report) {
            assertTrue(line.endsWith("MKLDNNConvHelper") || line.endsWith("MKLDNNBatchNormHelper"), line);
        }
        assertTrue(report.contains("layer2.0.downsample.0: MKLDNNConvHelper"), report.toString());
        assertTrue(report.contains("layer3.2.bn2: MKLDNNBatchNormHelper"), report.toString());
    }

    @Test
    void aFloatNetworkWithoutHelpersIsRefusedLoudly() {
        assumeTrue(Backend.isCpu(), "oneDNN is the CPU backend's");
        String before = System.getProperty(Backend.HELPERS_DISABLE);
        System.setProperty(Backend.HELPERS_DISABLE, "true");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ResNetBuilder.build(
                    ResNetConfig.of("resnet8", 10, new InputShape(1, 8, 8))));
            assertTrue(e.getMessage().contains("'conv1'"), e.getMessage());
            assertTrue(e.getMessage().contains(Backend.REQUIRE_ONEDNN), e.getMessage());
        } finally {
            System.setProperty(Backend.HELPERS_DISABLE, before == null ? "false" : before);
        }
    }
}
