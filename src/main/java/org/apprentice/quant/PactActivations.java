package org.apprentice.quant;

import java.util.List;

/**
 * PACT (Choi et al. 2018): y = clip(x, 0, α) with α learned per layer, quantized to k bits on [0, α]:
 * q = round(y·(2^k - 1)/α)·α/(2^k - 1). Gradients as in the paper (straight through the rounding):
 * dq/dx = 1 for 0 < x <= α, else 0; dq/dα = 1 for x > α, else 0. α starts at 10, the paper's value, and takes L2
 * regularisation (the run's weight decay) so that it shrinks where clipping costs nothing.
 *
 * @param exact without the rounding: y itself, whose derivatives are the ones above exactly
 */
public record PactActivations(int bits, boolean exact) implements LearnedQuantizer {
    public static final double INITIAL_ALPHA = 10.0;

    public PactActivations {
        BitWidth.require(bits, "PACT activations");
    }

    @Override
    public List<String> parameters() {
        return List.of("alpha");
    }

    private int steps() {
        return BitWidth.levels(bits, false);
    }

    private <T> T above(TensorOps<T> ops, T x, T alpha) {
        return ops.greaterThan(x, alpha);
    }

    @Override
    public <T> T quantize(TensorOps<T> ops, T x, List<T> p) {
        T alpha = p.get(0);
        T above = above(ops, x, alpha);
        T y = ops.add(ops.mul(x, ops.sub(ops.greaterThan(x, ops.constant(x, 0.0)), above)), ops.mul(above, alpha));
        return exact ? y : ops.mul(ops.div(ops.round(ops.mul(ops.div(y, alpha), steps())), steps()), alpha);
    }

    @Override
    public <T> T inputDerivative(TensorOps<T> ops, T x, List<T> p) {
        return ops.sub(ops.greaterThan(x, ops.constant(x, 0.0)), above(ops, x, p.get(0)));
    }

    @Override
    public <T> T parameterDerivative(TensorOps<T> ops, T x, List<T> p, int i) {
        return above(ops, x, p.get(0));
    }

    /**
     * dL/dx = g·[0 < x ≤ α] and dL/dα = Σ g·[x > α], sharing g·[x > α] and overwriting the tensors made here
     * ({@link TensorOps#inPlace()}) instead of allocating one per step (the activation layer's backward pass).
     */
    @Override
    public <T> List<T> gradients(TensorOps<T> ops, T x, List<T> p, T g, long[] shape) {
        TensorOps<T> own = ops.inPlace();
        T clippedAbove = own.mul(above(ops, x, p.get(0)), g);
        T alphaGradient = ops.sum(clippedAbove);
        T dx = own.sub(own.mul(ops.greaterThan(x, ops.constant(x, 0.0)), g), clippedAbove);
        return List.of(dx, alphaGradient);
    }

    /** The sweeps' form: one pass each way (the layer's FLOAT path on the CPU). */
    @Override
    public SweptQuantizer swept() {
        return new Swept();
    }

    /**
     * The forward value and gradients in float, each step rounded as libnd4j's ops round it: y = clip(x, 0, α);
     * q = round(y/α·(2^k − 1)) / (2^k − 1) · α, half to even ({@link BitWidth#roundLevel}, as libnd4j's {@code rint});
     * dL/dx = g where 0 &lt; x ≤ α, else 0; ∂q/∂α = [x &gt; α].
     */
    private final class Swept implements SweptQuantizer {
        @Override
        public void forward(float[] v, int from, int to, float[] p) {
            float alpha = p[0];
            float steps = steps();
            for (int i = from; i < to; i++) {
                float y = v[i] > 0f ? (v[i] > alpha ? alpha : v[i]) : 0f;
                v[i] = exact ? y : BitWidth.roundLevel(y / alpha * steps) / steps * alpha;
            }
        }

        @Override
        public void backward(float[] x, float[] g, int from, int to, float[] p, double[] sums) {
            float alpha = p[0];
            double above = 0;
            for (int i = from; i < to; i++) {
                if (x[i] > alpha) {
                    above += g[i];
                    g[i] = 0f;
                } else if (!(x[i] > 0f)) {
                    g[i] = 0f;
                }
            }
            sums[0] += above;
        }
    }

    @Override
    public <T> List<T> initialValues(TensorOps<T> ops, T x) {
        return List.of(ops.constant(x, INITIAL_ALPHA));
    }

    @Override
    public String describe() {
        return "PACT " + bits + "-bit activations in [0, α], learned α" + (exact ? " (rounding off)" : "");
    }
}
