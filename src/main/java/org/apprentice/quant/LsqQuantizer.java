package org.apprentice.quant;

import java.util.List;

/**
 * Learned step size quantization (Esser et al., ICLR 2020): v = x/s, q = round(clip(v, -Q_n, Q_p))·s with the step s
 * learned. Gradients as in the paper: dq/dx = 1 for -Q_n <= v <= Q_p, else 0; dq/ds = round(v) - v inside, -Q_n
 * below, Q_p above; the step's gradient is scaled by g = 1/sqrt(N·Q_p), N the number of values one step serves.
 * Initial step 2·mean|x|/sqrt(Q_p), from the weights or from the first batch of activations.
 * <ul>
 *   <li>weights ({@code signed}): Q_n = Q_p = 2^(b-1) - 1, symmetric, so that 2 bits stay ternary {-s, 0, s} as
 *       everywhere in Apprentice (LSQ's paper gives the negative side one more level); one step per layer or per
 *       output channel;</li>
 *   <li>activations (unsigned, replacing the ReLU): Q_n = 0, Q_p = 2^b - 1; N counts the features of one image.</li>
 * </ul>
 *
 * @param exact without the rounding and the gradient scale: then dq/ds is 0 inside and ±Q outside, exactly
 */
public record LsqQuantizer(int bits, boolean signed, boolean perChannel, boolean exact) implements LearnedQuantizer {

    public LsqQuantizer {
        BitWidth.require(bits, "LSQ");
        if (perChannel && !signed) {
            throw new IllegalArgumentException("LSQ activations take one step per layer");
        }
    }

    public static LsqQuantizer weights(int bits, boolean perChannel) {
        return new LsqQuantizer(bits, true, perChannel, false);
    }

    public static LsqQuantizer activations(int bits) {
        return new LsqQuantizer(bits, false, false, false);
    }

    @Override
    public List<String> parameters() {
        return List.of("step");
    }

    /** Q_p: the highest level. */
    public int positiveLevels() {
        return BitWidth.levels(bits, signed);
    }

    /** Q_n: the lowest level's magnitude. */
    public int negativeLevels() {
        return signed ? positiveLevels() : 0;
    }

    private <T> T clipped(TensorOps<T> ops, T x, T step) {
        return ops.clip(ops.div(x, step), -negativeLevels(), positiveLevels());
    }

    @Override
    public <T> T quantize(TensorOps<T> ops, T x, List<T> p) {
        T v = clipped(ops, x, p.get(0));
        return ops.mul(exact ? v : ops.round(v), p.get(0));
    }

    /** The integer levels round(clip(x/s, -Q_n, Q_p)): q = levels·s. */
    public <T> T codes(TensorOps<T> ops, T x, List<T> p) {
        return ops.round(clipped(ops, x, p.get(0)));
    }

    @Override
    public <T> T inputDerivative(TensorOps<T> ops, T x, List<T> p) {
        return inside(ops, ops.div(x, p.get(0)));
    }

    /** [-Q_n <= v <= Q_p], as v/Q_p in [-1, 1] or [0, 1]: the ranges ArrayOps tests in one pass. */
    private <T> T inside(TensorOps<T> ops, T v) {
        return ops.inRange(ops.div(v, positiveLevels()), signed ? -1.0 : 0.0, 1.0);
    }

    /** round(clip(v)) - v·[inside]: round(v) - v inside, the clipped level outside. */
    @Override
    public <T> T parameterDerivative(TensorOps<T> ops, T x, List<T> p, int i) {
        T v = ops.div(x, p.get(0));
        T inside = inside(ops, v);
        T level = clipped(ops, x, p.get(0));
        return ops.sub(exact ? level : ops.round(level), ops.mul(v, inside));
    }

    /** x/s is computed once, then clipped, rounded and scaled: each step can overwrite the last. */
    @Override
    public boolean inPlaceSafe() {
        return true;
    }

    /**
     * dL/dx and dL/ds sharing v = x/s and the inside mask (the activation layer's backward pass, every step), with
     * dL/ds = (Σ g·round(clip(v)) − Σ g·v·[inside]) · scale, the sum of g·∂q/∂s split in two so that the tensors
     * this method makes can be overwritten ({@link TensorOps#inPlace()}) instead of allocated again.
     */
    @Override
    public <T> List<T> gradients(TensorOps<T> ops, T x, List<T> p, T g, long[] shape) {
        TensorOps<T> own = ops.inPlace();
        T v = ops.div(x, p.get(0));
        T dx = own.mul(own.inRange(ops.div(v, positiveLevels()), signed ? -1.0 : 0.0, 1.0), g);
        T movedInside = channelSums(ops, ops.mul(dx, v));
        T clipped = own.clip(v, -negativeLevels(), positiveLevels());
        T levels = channelSums(ops, own.mul(exact ? clipped : own.round(clipped), g));
        return List.of(dx, ops.mul(ops.sub(levels, movedInside), gradientScale(shape)));
    }

    /** One step for the whole layer, unsigned (activations): the sweeps' form; weights keep the ops'. */
    @Override
    public SweptQuantizer swept() {
        return signed || perChannel ? null : new Swept();
    }

    /**
     * The activations' forward value and gradients in float, each step rounded as libnd4j's ops round it: v = x/s,
     * clipped to [0, Q_p], rounded half to even ({@link BitWidth#roundLevel}, as libnd4j's {@code rint}), times s; dL/dx = g where
     * 0 ≤ v/Q_p ≤ 1, else 0; ∂q/∂s = round(clip(v)) − v·[inside].
     */
    private final class Swept implements SweptQuantizer {
        @Override
        public void forward(float[] v, int from, int to, float[] p) {
            float step = p[0];
            float top = positiveLevels();
            for (int i = from; i < to; i++) {
                float c = Math.min(Math.max(v[i] / step, 0f), top);
                v[i] = (exact ? c : BitWidth.roundLevel(c)) * step;
            }
        }

        @Override
        public void backward(float[] x, float[] g, int from, int to, float[] p, double[] sums) {
            float step = p[0];
            float top = positiveLevels();
            double levels = 0;
            double movedInside = 0;
            for (int i = from; i < to; i++) {
                float v = x[i] / step;
                float u = v / top;
                float dx = u >= 0f && u <= 1f ? g[i] : 0f * g[i]; // as mask·g: −0 where g < 0
                float c = Math.min(Math.max(v, 0f), top);
                levels += (double) g[i] * (exact ? c : BitWidth.roundLevel(c));
                movedInside += (double) dx * v;
                g[i] = dx;
            }
            sums[0] += levels - movedInside;
        }
    }

    private <T> T channelSums(TensorOps<T> ops, T x) {
        return perChannel ? ops.sumPerChannel(x) : ops.sum(x);
    }

    @Override
    public double gradientScale(long[] shape) {
        if (exact) {
            return 1.0;
        }
        long n = 1;
        for (int d = 1; d < shape.length; d++) {
            n *= shape[d];
        }
        if (signed && !perChannel) {
            n *= shape[0];
        }
        return 1.0 / Math.sqrt((double) n * positiveLevels());
    }

    @Override
    public <T> List<T> initialValues(TensorOps<T> ops, T x) {
        T meanAbs = perChannel ? ops.meanPerChannel(ops.abs(x)) : ops.mean(ops.abs(x));
        return List.of(ops.positiveOrOne(ops.mul(meanAbs, 2.0 / Math.sqrt(positiveLevels()))));
    }

    @Override
    public String describe() {
        return "LSQ " + bits + "-bit " + (signed ? "weights" + (perChannel ? ", a step per output channel" : "")
                : "activations") + ", learned step" + (exact ? " (rounding off)" : "");
    }
}
