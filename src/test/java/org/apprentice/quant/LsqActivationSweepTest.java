package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LSQ's activations computed by Java sweeps in their layer (FLOAT, CPU) against the quantizer's own ops
 * ({@link ArrayOps}) on the same arrays: the same float operations, so the same outputs and input gradients to the
 * bit, halfway values and the clip's bounds included; the step's gradient, a sum over the whole minibatch, is taken in
 * double precision here and in float by libnd4j, so the two agree to float rounding of the sum.
 */
class LsqActivationSweepTest {
    private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();
    private static final float STEP = 0.1f;

    /** Values across [-0.5, 2], with the halfway points x = (k + 1/2)·s of 4-bit levels that exist in float. */
    private static INDArray input() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 16, 16, 16).muli(2.5).subi(0.5);
        int at = 0;
        for (int k = 0; k < 15; k++) {
            float t = (k + 0.5f) * STEP;
            if (t / STEP == k + 0.5f) {
                x.putScalar(at++, t);
            }
        }
        assertTrue(at >= 3, "some halfway values exist in float: " + at);
        x.putScalar(at, 0f);
        x.putScalar(at + 1, 15 * STEP);
        return x;
    }

    private static Layer layer(LearnedActivation conf) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        long n = conf.initializer().numParams(nnc);
        Layer layer = nnc.getLayer().instantiate(nnc, List.of(), 0, Nd4j.zeros(DataType.FLOAT, 1, n), true,
                DataType.FLOAT);
        layer.setBackpropGradientsViewArray(Nd4j.zeros(DataType.FLOAT, 1, n));
        layer.setParam("step", Nd4j.scalar(DataType.FLOAT, STEP).reshape(layer.getParam("step").shape()));
        return layer;
    }

    @Test
    void sweptLsqGivesTheOpsValuesAndInputGradientsToTheBitAndTheStepsGradientToFloatRounding() {
        INDArray x = input();
        // dL/dq of one sign, so that the step's gradient is a coherent sum (random signs would cancel into a sum
        // small against the bound below, which then could not tell a wrong term from rounding)
        INDArray g = Nd4j.rand(DataType.FLOAT, x.shape()).addi(0.5);
        for (boolean rounding : new boolean[] {true, false}) {
            LearnedActivation conf = new LearnedActivation(ActivationMethod.LSQ, 4, rounding);
            LearnedQuantizer q = conf.quantizer();
            assertNotNull(q.swept(), "LSQ activations have the swept form");
            Layer layer = layer(conf);
            layer.setInput(x.dup(), NO_WORKSPACES);
            INDArray out = layer.activate(true, NO_WORKSPACES).dup();
            var back = layer.backpropGradient(g.dup(), NO_WORKSPACES);
            INDArray dx = back.getSecond().dup();
            double dStep = back.getFirst().getGradientFor("step").getDouble(0);

            List<INDArray> p = List.of(Nd4j.scalar(DataType.FLOAT, STEP).reshape(1, 1));
            INDArray expected = q.quantize(ArrayOps.COPYING, x.dup(), p);
            List<INDArray> grads = q.gradients(ArrayOps.COPYING, x.dup(), p, g.dup(), x.shape());
            assertArrayEquals(expected.data().asFloat(), out.data().asFloat(), 0f, "outputs, rounding " + rounding);
            assertArrayEquals(grads.get(0).data().asFloat(), dx.data().asFloat(), 0f, "dL/dx, rounding " + rounding);
            // libnd4j sums the M = 131,072 terms g·∂q/∂s in float, in an order that depends on the CPU and threads:
            // its rounding errors, random in sign, add up to about √M·2^-24 ≈ 2e-5 of Σ|terms| (M·2^-24, 0.8%, only
            // in the worst case, which rounding of random values does not reach); 1e-4 of Σ|terms| leaves a factor 5
            double terms = g.mul(q.parameterDerivative(ArrayOps.COPYING, x.dup(), p, 0)).castTo(DataType.DOUBLE)
                    .norm1Number().doubleValue();
            double bound = 1e-4 * terms * q.gradientScale(x.shape());
            assertEquals(grads.get(1).getDouble(0), dStep, bound, "dL/ds, rounding " + rounding);
        }
    }

    @Test
    void weightsAndOtherMethodsKeepTheOps() {
        assertNull(LsqQuantizer.weights(2, false).swept());
        assertNull(new LearnedActivation(ActivationMethod.PACT, 4, true).quantizer().swept());
    }
}
