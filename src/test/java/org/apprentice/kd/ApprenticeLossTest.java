package org.apprentice.kd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.apprentice.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** The distillation loss: value, gradient, reductions to known cases, masks, and a graph gradient check. */
@ExtendWith(DoublePrecision.class)
class ApprenticeLossTest {
    private static final double[][] STUDENT = {{1.0, -0.5, 0.25}, {0.1, 0.2, 2.0}};
    private static final double[][] TEACHER = {{2.0, 0.0, -1.0}, {-0.3, 0.4, 1.5}};
    private static final double[][] ONE_HOT = {{1, 0, 0}, {0, 0, 1}};

    private static INDArray labels() {
        return ApprenticeLoss.labels(Nd4j.createFromArray(ONE_HOT), Nd4j.createFromArray(TEACHER));
    }

    private static double[] softmax(double[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] / t - max);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The paper's objective for the apprentice, by hand. */
    private static double handScore(double beta, double gamma, double t, boolean average) {
        double total = 0;
        for (int n = 0; n < 2; n++) {
            double[] pA = softmax(STUDENT[n], 1);
            double[] pAT = softmax(STUDENT[n], t);
            double[] pTT = softmax(TEACHER[n], t);
            for (int c = 0; c < 3; c++) {
                total += -beta * ONE_HOT[n][c] * Math.log(pA[c]) - gamma * t * t * pTT[c] * Math.log(pAT[c]);
            }
        }
        return average ? total / 2 : total;
    }

    @Test
    void scoreMatchesAHandComputation() {
        INDArray z = Nd4j.createFromArray(STUDENT);
        assertEquals(handScore(0.5, 0.5, 1, true),
                new ApprenticeLoss().computeScore(labels(), z, new ActivationIdentity(), null, true), 1e-12);
        assertEquals(handScore(0.5, 0.5, 1, false),
                new ApprenticeLoss().computeScore(labels(), z, new ActivationIdentity(), null, false), 1e-12);
        assertEquals(handScore(0.3, 0.7, 4, true), new ApprenticeLoss(0.3, 0.7, 4, ApprenticeLoss.Target.SOFTMAX)
                .computeScore(labels(), z, new ActivationIdentity(), null, true), 1e-12);
        // the literal reading H(z_T, p_A) = -Σ z_T log p_A
        double literal = 0;
        for (int n = 0; n < 2; n++) {
            double[] pA = softmax(STUDENT[n], 1);
            for (int c = 0; c < 3; c++) {
                literal += -0.5 * ONE_HOT[n][c] * Math.log(pA[c]) - 0.5 * TEACHER[n][c] * Math.log(pA[c]);
            }
        }
        assertEquals(literal, new ApprenticeLoss(0.5, 0.5, 1, ApprenticeLoss.Target.LOGITS)
                .computeScore(labels(), z, new ActivationIdentity(), null, false), 1e-12);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        for (ApprenticeLoss loss : new ApprenticeLoss[] {new ApprenticeLoss(),
                new ApprenticeLoss(0.3, 0.7, 3, ApprenticeLoss.Target.SOFTMAX),
                new ApprenticeLoss(0.5, 0.5, 1, ApprenticeLoss.Target.LOGITS)}) {
            INDArray z = Nd4j.createFromArray(STUDENT);
            INDArray grad = loss.computeGradient(labels(), z, new ActivationIdentity(), null);
            double eps = 1e-6;
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 3; c++) {
                    INDArray plus = z.dup();
                    plus.putScalar(n, c, z.getDouble(n, c) + eps);
                    INDArray minus = z.dup();
                    minus.putScalar(n, c, z.getDouble(n, c) - eps);
                    double numeric = (loss.computeScore(labels(), plus, new ActivationIdentity(), null, false)
                            - loss.computeScore(labels(), minus, new ActivationIdentity(), null, false)) / (2 * eps);
                    assertEquals(numeric, grad.getDouble(n, c), 1e-7, loss + " at " + n + "," + c);
                }
            }
        }
    }

    @Test
    void withoutTheDistillationTermItIsPlainCrossEntropy() {
        INDArray z = Nd4j.createFromArray(STUDENT);
        INDArray y = Nd4j.createFromArray(ONE_HOT);
        ApprenticeLoss ceOnly = new ApprenticeLoss(1.0, 0.0, 1, ApprenticeLoss.Target.SOFTMAX);
        LossMCXENT mcxent = new LossMCXENT();
        assertEquals(mcxent.computeScore(y, z, new ActivationSoftmax(), null, true),
                ceOnly.computeScore(labels(), z, new ActivationIdentity(), null, true), 1e-12);
        INDArray expected = mcxent.computeGradient(y, z.dup(), new ActivationSoftmax(), null);
        INDArray actual = ceOnly.computeGradient(labels(), z, new ActivationIdentity(), null);
        assertTrue(expected.equalsWithEps(actual, 1e-12), expected + " vs " + actual);
    }

    @Test
    void distillationGradientVanishesWhenStudentMatchesTeacher() {
        INDArray z = Nd4j.createFromArray(TEACHER);
        ApprenticeLoss kdOnly = new ApprenticeLoss(0.0, 1.0, 1, ApprenticeLoss.Target.SOFTMAX);
        INDArray grad = kdOnly.computeGradient(labels(), z, new ActivationIdentity(), null);
        assertEquals(0.0, grad.amaxNumber().doubleValue(), 1e-15);
        // and not otherwise
        assertTrue(kdOnly.computeGradient(labels(), Nd4j.createFromArray(STUDENT), new ActivationIdentity(), null)
                .amaxNumber().doubleValue() > 0.01);
    }

    @Test
    void masksAndAverageBehaveAsDl4jLosses() {
        INDArray z = Nd4j.createFromArray(STUDENT);
        ApprenticeLoss loss = new ApprenticeLoss();
        INDArray perExample = loss.computeScoreArray(labels(), z, new ActivationIdentity(), null);
        assertArrayEquals(new long[] {2, 1}, perExample.shape());
        INDArray mask = Nd4j.createFromArray(new double[][] {{1}, {0}});
        INDArray masked = loss.computeScoreArray(labels(), z, new ActivationIdentity(), mask);
        assertEquals(perExample.getDouble(0, 0), masked.getDouble(0, 0), 1e-15);
        assertEquals(0.0, masked.getDouble(1, 0));
        // average divides by the minibatch size, masked examples included (as LossMCXENT does)
        assertEquals(perExample.getDouble(0, 0) / 2, loss.computeScore(labels(), z, new ActivationIdentity(), mask, true), 1e-15);
        INDArray grad = loss.computeGradient(labels(), z, new ActivationIdentity(), mask);
        assertEquals(0.0, grad.getRow(1).amaxNumber().doubleValue());
        assertTrue(grad.getRow(0).amaxNumber().doubleValue() > 0);
        // same as MCXENT for a per-example mask when γ = 0
        ApprenticeLoss ceOnly = new ApprenticeLoss(1.0, 0.0, 1, ApprenticeLoss.Target.SOFTMAX);
        assertEquals(new LossMCXENT().computeScore(Nd4j.createFromArray(ONE_HOT), z, new ActivationSoftmax(), mask, true),
                ceOnly.computeScore(labels(), z, new ActivationIdentity(), mask, true), 1e-12);
    }

    @Test
    void termsSeparateTheStudentCrossEntropyAndTheDistillationTerm() {
        INDArray z = Nd4j.createFromArray(STUDENT);
        double[] terms = new ApprenticeLoss().terms(labels(), z);
        assertEquals(handScore(1, 0, 1, true), terms[0], 1e-12);
        assertEquals(handScore(0, 1, 1, true), terms[1], 1e-12);
    }

    @Test
    void passesDl4jGradientCheckInsideAGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).updater(new NoOp()).seed(7).weightInit(WeightInit.XAVIER)
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(4))
                .addLayer("hidden", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("fc", new DenseLayer.Builder().nOut(3).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("out", new LossLayer.Builder().lossFunction(new ApprenticeLoss(0.5, 0.5, 2,
                        ApprenticeLoss.Target.SOFTMAX)).activation(Activation.IDENTITY).build(), "fc")
                .setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 4);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {labels()})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }
}
