package org.apprentice.quant;

import org.apprentice.nn.SweptActivation;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * k-bit activations as a DL4J activation function, used in an {@code ActivationLayer} in place of the
 * ReLU: the forward value and the STE mask (1 inside [0, 1], 0 outside) come from
 * {@link KBitActivations}, run in place on the layer's arrays ({@link ArrayOps#IN_PLACE}); the same
 * definition run as SameDiff ops gives the same values and gradients (tested). Serialises with the
 * model (Jackson bean).
 */
public final class QuantizedActivation extends BaseActivationFunction implements ActivationQuantization,
        SweptActivation {
    private static final long serialVersionUID = 1L;

    private int bits;
    private boolean enabled = true;

    /** For Jackson. */
    public QuantizedActivation() {
    }

    public QuantizedActivation(int bits) {
        this(bits, true);
    }

    /** With {@code enabled = false} only the clip to [0, 1] remains, no rounding (for gradient checks). */
    public QuantizedActivation(int bits, boolean enabled) {
        this.bits = bits;
        this.enabled = enabled;
        quantizer(); // validates
    }

    public KBitActivations quantizer() {
        return new KBitActivations(bits);
    }

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        return enabled ? quantizer().quantize(ArrayOps.IN_PLACE, in) : ArrayOps.IN_PLACE.clip(in, 0.0, 1.0);
    }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        // STE: dL/da = dL/dq · [0 <= a <= 1], written over the pre-activation array as DL4J's own do
        INDArray mask = quantizer().steMask(ArrayOps.IN_PLACE, in);
        return new Pair<>(mask.muli(epsilon), null);
    }

    /**
     * The same values as {@link #getActivation} in float: clip to [0, 1], times 2^k − 1, rounded half to even
     * ({@link BitWidth#roundLevel}, as libnd4j's {@code rint}), divided by 2^k − 1, each step rounded to float as libnd4j's ops
     * round it.
     */
    @Override
    public void forward(float[] v, int n) {
        if (!enabled) {
            for (int i = 0; i < n; i++) {
                v[i] = Math.min(Math.max(v[i], 0f), 1f);
            }
            return;
        }
        float steps = quantizer().steps();
        for (int i = 0; i < n; i++) {
            v[i] = BitWidth.roundLevel(Math.min(Math.max(v[i], 0f), 1f) * steps) / steps;
        }
    }

    /** The straight-through estimator, as {@link #backprop}: dy where 0 ≤ x ≤ 1 (bounds included), else 0. */
    @Override
    public void backward(float[] x, float[] dy, int n) {
        for (int i = 0; i < n; i++) {
            dy[i] = x[i] >= 0f && x[i] <= 1f ? dy[i] : 0f * dy[i]; // as mask·dy: −0 where dy < 0
        }
    }

    public int getBits() {
        return bits;
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public ActivationMethod method() {
        return ActivationMethod.FIXED;
    }

    @Override
    public java.util.List<String> parameters() {
        return java.util.List.of();
    }

    @Override
    public String operation() {
        return "quantize [0,1]";
    }

    /** Levels of 1/(2^k - 1) in [0, 1]. */
    @Override
    public ActivationGrid grid(org.deeplearning4j.nn.api.Layer layer) {
        return new ActivationGrid(ActivationMethod.FIXED, bits, enabled, 1.0 / quantizer().steps(), 0, 1, false, true);
    }

    public void setBits(int bits) {
        this.bits = bits;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantizedActivation other && other.bits == bits && other.enabled == enabled;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(bits) * 31 + Boolean.hashCode(enabled);
    }

    @Override
    public String toString() {
        return "quant" + bits + (enabled ? "" : "-off");
    }
}
