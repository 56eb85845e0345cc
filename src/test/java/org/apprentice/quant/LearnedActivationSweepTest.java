package org.apprentice.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apprentice.testing.Bits;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LSQ's and PACT's activations computed by Java sweeps in their layer (FLOAT, CPU) against the quantizer's own ops
 * ({@link ArrayOps}) on the same arrays: the same float operations, so the same outputs and input gradients to the
 * bit, halfway values of the rounding and the clip's bounds included; the parameter's gradient, a sum over the whole
 * minibatch, is taken in double precision here and in float by libnd4j, so the two agree to float rounding of the
 * sum.
 */
class LearnedActivationSweepTest {
    private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();
    private static final int LEVELS = 15; // 4 bits

    /**
     * Values across [-0.5, 2], with the inputs whose scaled value lands halfway between two 4-bit levels in float
     * ({@code halfway(k)}, where there is one), the clip's bounds 0 and {@code top}, and -0.
     */
    private static INDArray input(java.util.function.IntFunction<Float> halfway, float top) {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 16, 16, 16).muli(2.5).subi(0.5);
        int at = 0;
        for (int k = 0; k < LEVELS; k++) {
            Float t = halfway.apply(k);
            if (t != null) {
                x.putScalar(at++, t);
            }
        }
        assertTrue(at >= 3, "some halfway values exist in float: " + at);
        x.putScalar(at, 0f);
        x.putScalar(at + 1, top);
        x.putScalar(at + 2, -0f);
        return x;
    }

    private static Layer layer(LearnedActivation conf, String parameter, float value) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        long n = conf.initializer().numParams(nnc);
        Layer layer = nnc.getLayer().instantiate(nnc, List.of(), 0, Nd4j.zeros(DataType.FLOAT, 1, n), true,
                DataType.FLOAT);
        layer.setBackpropGradientsViewArray(Nd4j.zeros(DataType.FLOAT, 1, n));
        layer.setParam(parameter, Nd4j.scalar(DataType.FLOAT, value).reshape(layer.getParam(parameter).shape()));
        return layer;
    }

    @Test
    void sweptLsqGivesTheOpsValuesAndGradients() {
        float step = 0.1f;
        INDArray x = input(k -> {
            float t = (k + 0.5f) * step;
            return t / step == k + 0.5f ? t : null;
        }, LEVELS * step);
        for (boolean rounding : new boolean[] {true, false}) {
            assertSweepMatchesOps(new LearnedActivation(ActivationMethod.LSQ, 4, rounding), "step", step, x);
        }
    }

    @Test
    void sweptPactGivesTheOpsValuesAndGradients() {
        float alpha = 1.5f;
        INDArray x = input(k -> {
            float t = (k + 0.5f) / LEVELS * alpha;
            return t / alpha * LEVELS == k + 0.5f ? t : null;
        }, alpha);
        for (boolean rounding : new boolean[] {true, false}) {
            assertSweepMatchesOps(new LearnedActivation(ActivationMethod.PACT, 4, rounding), "alpha", alpha, x);
        }
    }

    private static void assertSweepMatchesOps(LearnedActivation conf, String parameter, float value, INDArray x) {
        LearnedQuantizer q = conf.quantizer();
        assertNotNull(q.swept(), q.describe() + " has the swept form");
        // dL/dq of one sign, so that the parameter's gradient is a coherent sum (random signs would cancel into a
        // sum small against the bound below, which then could not tell a wrong term from rounding)
        INDArray g = Nd4j.rand(DataType.FLOAT, x.shape()).addi(0.5);
        Layer layer = layer(conf, parameter, value);
        layer.setInput(x.dup(), NO_WORKSPACES);
        INDArray out = layer.activate(true, NO_WORKSPACES).dup();
        var back = layer.backpropGradient(g.dup(), NO_WORKSPACES);
        INDArray dx = back.getSecond().dup();
        double dp = back.getFirst().getGradientFor(parameter).getDouble(0);

        List<INDArray> p = List.of(Nd4j.scalar(DataType.FLOAT, value).reshape(1, 1));
        INDArray expected = q.quantize(ArrayOps.COPYING, x.dup(), p);
        List<INDArray> grads = q.gradients(ArrayOps.COPYING, x.dup(), p, g.dup(), x.shape());
        assertArrayEquals(Bits.of(expected), Bits.of(out), "outputs of " + q.describe());
        assertArrayEquals(Bits.of(grads.get(0)), Bits.of(dx), "dL/dx of " + q.describe());
        // libnd4j sums the M = 131,072 terms g·∂q/∂p in float, in an order that depends on the CPU and threads: its
        // rounding errors, random in sign, add up to about √M·2^-24 ≈ 2e-5 of Σ|terms| (M·2^-24, 0.8%, only in the
        // worst case, which rounding of random values does not reach); 1e-4 of Σ|terms| leaves a factor 5
        double terms = g.mul(q.parameterDerivative(ArrayOps.COPYING, x.dup(), p, 0)).castTo(DataType.DOUBLE)
                .norm1Number().doubleValue() * q.gradientScale(x.shape());
        assertEquals(grads.get(1).getDouble(0), dp, 1e-4 * terms, "dL/d" + parameter + " of " + q.describe());
    }

    @Test
    void weightQuantizersKeepTheOps() {
        assertNull(LsqQuantizer.weights(2, false).swept());
        assertNull(LsqQuantizer.weights(2, true).swept());
    }
}
