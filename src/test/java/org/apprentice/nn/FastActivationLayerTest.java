package org.apprentice.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apprentice.quant.QuantizedActivation;
import org.apprentice.testing.Bits;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fixed k-bit activation quantizer computed by Java sweeps ({@link FastActivationLayer}) against DL4J's activation
 * layer running the same function through libnd4j's ops: the same float operations in the same order, so the same
 * outputs and input gradients to the bit, ties of the rounding (half to even) and the clip's bounds included; on
 * an array large enough to be shared out between threads.
 */
class FastActivationLayerTest {
    private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();

    /** Values across [-0.5, 1.5], with every tie of 4-bit rounding, the bounds 0 and 1, and -0 in its first row. */
    private static INDArray input() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.FLOAT, 64, 16, 32, 32).muli(2).subi(0.5);
        float[] special = new float[15 + 4];
        int ties = 0;
        for (int k = 0; k < 15; k++) {
            float t = (k + 0.5f) / 15f;
            if (t * 15f == k + 0.5f) { // x·15 lands exactly halfway between two levels
                special[ties++] = t;
            }
        }
        assertTrue(ties >= 3, "some halfway values exist in float: " + ties);
        special[ties] = 0f;
        special[ties + 1] = 1f;
        special[ties + 2] = -0f;
        special[ties + 3] = Math.nextUp(1f);
        for (int i = 0; i < ties + 4; i++) {
            x.putScalar(i, special[i]);
        }
        return x;
    }

    private static Layer layer(ActivationLayer conf) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        return nnc.getLayer().instantiate(nnc, List.of(), 0, null, false, DataType.FLOAT);
    }

    private static INDArray[] forwardAndBackward(Layer layer, INDArray x, INDArray dy) {
        layer.setInput(x.dup(), NO_WORKSPACES);
        INDArray out = layer.activate(true, NO_WORKSPACES).dup();
        INDArray dx = layer.backpropGradient(dy.dup(), NO_WORKSPACES).getSecond().dup();
        return new INDArray[] {out, dx};
    }

    @Test
    void theQuantizerSweptInJavaGivesLibnd4jsValuesAndGradientsToTheBit() {
        INDArray x = input();
        INDArray dy = Nd4j.randn(DataType.FLOAT, x.shape());
        for (boolean rounding : new boolean[] {true, false}) {
            QuantizedActivation q = new QuantizedActivation(4, rounding);
            Layer fast = layer(new FastActivation(q));
            assertTrue(fast instanceof FastActivationLayer);
            INDArray[] ours = forwardAndBackward(fast, x, dy);
            INDArray[] dl4j = forwardAndBackward(layer(new ActivationLayer.Builder().activation(q).build()), x, dy);
            assertArrayEquals(Bits.of(dl4j[0]), Bits.of(ours[0]), "outputs, rounding " + rounding);
            assertArrayEquals(Bits.of(dl4j[1]), Bits.of(ours[1]), "gradients, rounding " + rounding);
        }
        // what the ties give: half to even
        INDArray out = forwardAndBackward(layer(new FastActivation(new QuantizedActivation(4))), x, dy)[0];
        float halfway = x.getFloat(0);
        float level = (float) Math.rint(halfway * 15f) / 15f;
        assertEquals(level, out.getFloat(0));
        assertEquals(0f, Math.rint(halfway * 15f) % 2, "rounded to the even level");
    }

    @Test
    void otherDataTypesAreDl4jsLayer() {
        INDArray x = input().castTo(DataType.DOUBLE);
        QuantizedActivation q = new QuantizedActivation(4);
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .layer(new FastActivation(q)).build();
        Layer fast = nnc.getLayer().instantiate(nnc, List.of(), 0, null, false, DataType.DOUBLE);
        fast.setInput(x, NO_WORKSPACES);
        INDArray out = fast.activate(true, NO_WORKSPACES);
        assertEquals(DataType.DOUBLE, out.dataType());
        assertEquals(q.getActivation(x.dup(), true), out);
    }
}
