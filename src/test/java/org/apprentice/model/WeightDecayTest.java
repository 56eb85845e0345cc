package org.apprentice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apprentice.testing.DoublePrecision;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** --wd is L2 on the gradient before Nesterov momentum, as torch.optim.SGD(weight_decay=...) applies it. */
class WeightDecayTest {

    /**
     * One weight w, one example (x, y), loss (w·x − y)²: three steps of the networks' training settings
     * against PyTorch's SGD with Nesterov momentum and weight decay, written out in closed form:
     * g = 2(wx − y)x + wd·w; buf = μ·buf + g; w −= lr·(g + μ·buf).
     */
    @Test
    @ExtendWith(DoublePrecision.class)
    void threeStepsOfNesterovWithL2FollowTheClosedForm() {
        double lr = 0.1;
        double mu = 0.9;
        double wd = 0.05;
        double x = 1.5;
        double y = 0.5;
        double w = 0.8;
        ResNetConfig config = ResNetConfig.of("resnet8", 1, new InputShape(1, 8, 8)).withDataType(DataType.DOUBLE)
                .withUpdater(new Nesterovs(lr, mu), wd);
        ComputationGraph net = new ComputationGraph(ResNetBuilder.training(config).graphBuilder().addInputs("in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(1).nOut(1)
                        .hasBias(false).activation(Activation.IDENTITY).build(), "in")
                .setOutputs("out").build());
        net.init();
        net.setParams(Nd4j.create(new double[] {w}, 1, 1));
        INDArray[] in = {Nd4j.create(new double[] {x}, 1, 1)};
        INDArray[] label = {Nd4j.create(new double[] {y}, 1, 1)};
        double buf = 0;
        for (int step = 1; step <= 3; step++) {
            double g = 2 * (w * x - y) * x + wd * w;
            buf = mu * buf + g;
            w -= lr * (g + mu * buf);
            net.fit(in, label);
            assertEquals(w, net.params().getDouble(0), 1e-12, "after step " + step);
        }
    }

    @Test
    void convolutionAndDenseWeightsAreDecayedBatchNormIsNot() {
        ResNetConfig config = ResNetConfig.of("resnet8", 10, new InputShape(1, 28, 28))
                .withUpdater(new Nesterovs(0.1, 0.9), 5e-4);
        ComputationGraphConfiguration conf = ResNetBuilder.configuration(config, OutputHead.softmaxCrossEntropy());
        int convolutions = 0;
        int batchNorms = 0;
        for (var vertex : conf.getVertices().values()) {
            if (!(vertex instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof BaseLayer layer)) {
                continue;
            }
            if (layer instanceof BatchNormalization) {
                batchNorms++;
                for (String param : List.of("gamma", "beta")) {
                    List<Regularization> r = layer.getRegularizationByParam(param);
                    assertTrue(r == null || r.isEmpty(), "batch norm " + param + " is regularised: " + r);
                }
            } else if (layer instanceof ConvolutionLayer) {
                convolutions++;
                List<Regularization> r = layer.getRegularizationByParam("W");
                assertEquals(1, r.size(), r.toString());
                assertTrue(r.get(0) instanceof L2Regularization l2 && l2.getL2().valueAt(0, 0) == 5e-4, r.toString());
            }
        }
        assertTrue(convolutions > 0 && batchNorms > 0, convolutions + " convolutions, " + batchNorms + " batch norms");
    }
}
