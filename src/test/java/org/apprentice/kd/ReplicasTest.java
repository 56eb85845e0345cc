package org.apprentice.kd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.apprentice.data.SyntheticImages;
import org.apprentice.model.InputShape;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.testing.DoublePrecision;
import org.apprentice.testing.TinySchemeB;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Data-parallel replicas (ParallelWrapper, averaging after every step) against one model at the global batch. */
class ReplicasTest {

    /** A small graph without batch norm whose logits vertex is named as the ResNets' is. */
    private static ComputationGraph denseNet() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(new Nesterovs(0.1, 0.9)).l2(1e-3).weightInit(WeightInit.XAVIER)
                .graphBuilder().addInputs("input")
                .addLayer("hidden", new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.TANH).build(), "input")
                .addLayer(ResNetBuilder.LOGITS, new DenseLayer.Builder().nIn(8).nOut(3)
                        .activation(Activation.IDENTITY).build(), "hidden")
                .addLayer(ResNetBuilder.OUTPUT, new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).build(), ResNetBuilder.LOGITS)
                .setOutputs(ResNetBuilder.OUTPUT).build());
        net.init();
        return net;
    }

    private static DataSet data(int n) {
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.DOUBLE, n, 6);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7) % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    /**
     * Without batch norm, averaging parameters and Nesterov momenta after each step is exactly one model's
     * step on the union of the replicas' minibatches (L2 included): 2 replicas x 4 = one model x 8.
     */
    @Test
    @ExtendWith(DoublePrecision.class)
    void twoReplicasEqualOneModelAtTheGlobalBatch() {
        DataSet data = data(32);
        ComputationGraph single = denseNet();
        ComputationGraph replicated = denseNet();
        assertEquals(single.params(), replicated.params());
        for (int epoch = 0; epoch < 2; epoch++) {
            single.fit(new ListDataSetIterator<>(data.asList(), 8));
            AtomicLong measured = new AtomicLong();
            ReplicatedFit.fit(replicated, 2, new ListDataSetIterator<>(data.asList(), 4),
                    (labels, logits) -> measured.addAndGet(logits.size(0)));
            assertEquals(32, measured.get(), "every example is measured once, by the replica that trained on it");
        }
        INDArray difference = single.params().sub(replicated.params());
        double relative = difference.norm2Number().doubleValue() / single.params().norm2Number().doubleValue();
        assertTrue(relative < 1e-12, "parameters differ by " + relative);
        assertEquals(single.getUpdater().getStateViewArray(), replicated.getUpdater().getStateViewArray());
        // and the steps really moved the parameters (the comparison is not between two untrained nets)
        assertNotEquals(denseNet().params(), replicated.params());
    }

    @Test
    void schemeBThroughTwoReplicasMeasuresEveryImageAndKeepsTheStudentsListeners() {
        TinySchemeB tiny = TinySchemeB.create();
        ComputationGraph teacher = tiny.teacher();
        ComputationGraph student = tiny.student();
        DataSet train = tiny.train();
        ScoreIterationListener ui = new ScoreIterationListener(1000);
        student.addListeners(ui);
        INDArray before = student.params().dup();
        ApprenticeTrainer trainer = ApprenticeTrainer.fromTrainedTeacher(Scheme.B, teacher, student).replicas(2);

        org.apprentice.kd.EpochMetrics m = trainer.trainEpoch(1, SyntheticImages.iterator(train, 8));
        assertEquals(48, m.images());
        assertEquals(6, m.teacherForwardPasses());
        assertTrue(Double.isFinite(m.loss()) && m.distillation() > 0, "loss " + m);
        assertNotEquals(before, student.params());
        assertEquals(1, student.getConfiguration().getEpochCount());
        assertTrue(student.getListeners().contains(ui), "the student's own listeners are back after the epoch");

        org.apprentice.kd.EpochMetrics alone = trainer.replicas(1).trainEpoch(2, SyntheticImages.iterator(train, 8));
        assertEquals(48, alone.images());
    }

    @Test
    void schemeAIsRefusedWithReplicas() {
        InputShape shape = new InputShape(1, 12, 12);
        ResNetConfig config = ResNetConfig.of("resnet8", 3, shape).withWidthMultiplier(0.25);
        ApprenticeTrainer trainer = ApprenticeTrainer.jointly(ResNetBuilder.build(config, Heads.teacher(0.5, 3)),
                ResNetBuilder.build(config, Heads.apprentice(new ApprenticeLoss())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.replicas(2));
        assertTrue(e.getMessage().contains("scheme A"), e.getMessage());
    }

    /** A replica that fails stops the epoch with one line naming the cause, instead of hanging the run. */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void aFailingReplicaStopsTheEpochWithItsCause() {
        ComputationGraph net = denseNet();
        ScoreIterationListener listener = new ScoreIterationListener(1000);
        net.addListeners(listener);
        int threads = Nd4j.getEnvironment().maxThreads();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ReplicatedFit.fit(net, 2,
                new ListDataSetIterator<>(data(32).asList(), 4), (labels, logits) -> {
                    throw new IllegalArgumentException("boom");
                }));
        assertTrue(e.getMessage().startsWith("a data-parallel replica failed (IllegalArgumentException: boom)"),
                e.getMessage());
        assertTrue(net.getListeners().contains(listener), "the student's listeners are back");
        assertEquals(threads, Nd4j.getEnvironment().maxThreads(), "the thread setting is restored");
    }
}
