package org.apprentice.quant;

import java.util.List;

/**
 * Trained ternary quantization (Zhu et al., ICLR 2017), the paper's rival: per layer, threshold Δ = t·max|w|
 * (t = 0.05 by default), codes +1 above Δ, -1 below -Δ, 0 between, and two learned scales,
 * q(w) = W_p·[w > Δ] - W_n·[w < -Δ]. Gradients as in the paper: dL/dW_p = Σ over the positive codes of dL/dq,
 * dL/dW_n = -Σ over the negative codes, and for the latent weights dL/dw = W_p·dL/dq on the positive codes,
 * W_n·dL/dq on the negative ones and dL/dq in between. Both scales start at the mean |w| of their codes' weights.
 *
 * @param exact without the gradient scale on W_p and W_n (below): their gradients are then exact derivatives
 */
public record TtqWeights(double threshold, boolean exact) implements LearnedQuantizer {
    public static final double DEFAULT_THRESHOLD = 0.05;

    public TtqWeights(double threshold) {
        this(threshold, false);
    }

    public TtqWeights {
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("TTQ threshold must be in [0, 1), got " + threshold);
        }
    }

    @Override
    public List<String> parameters() {
        return List.of("wp", "wn");
    }

    private <T> T delta(TensorOps<T> ops, T w) {
        return ops.mul(ops.max(ops.abs(w)), threshold);
    }

    private <T> T positive(TensorOps<T> ops, T w) {
        return ops.greaterThan(w, delta(ops, w));
    }

    private <T> T negative(TensorOps<T> ops, T w) {
        return ops.greaterThan(ops.mul(w, -1.0), delta(ops, w));
    }

    @Override
    public <T> T quantize(TensorOps<T> ops, T w, List<T> p) {
        return ops.sub(ops.mul(positive(ops, w), p.get(0)), ops.mul(negative(ops, w), p.get(1)));
    }

    /** The ternary codes: +1 above Δ, -1 below -Δ, 0 between (q = W_p on +1, -W_n on -1). */
    public <T> T codes(TensorOps<T> ops, T w) {
        return ops.sub(positive(ops, w), negative(ops, w));
    }

    @Override
    public <T> T inputDerivative(TensorOps<T> ops, T w, List<T> p) {
        T scaledPositive = ops.mul(positive(ops, w), ops.add(p.get(0), -1.0));
        T scaledNegative = ops.mul(negative(ops, w), ops.add(p.get(1), -1.0));
        return ops.add(ops.add(scaledPositive, scaledNegative), 1.0);
    }

    @Override
    public <T> T parameterDerivative(TensorOps<T> ops, T w, List<T> p, int i) {
        return i == 0 ? positive(ops, w) : ops.mul(negative(ops, w), -1.0);
    }

    /**
     * 1/sqrt(N) on the scales' gradients (N weights in the layer). Not in the TTQ paper: its dL/dW_p sums dL/dq over
     * every positive code, thousands of terms, and at the learning rates this project's recipes use (0.1 with
     * Nesterov momentum) the scales then jumped by more than their own size in a step and training stalled
     * (Fashion-MNIST resnet8: loss 1.71 after 3 epochs against 1.08 with TWN). LSQ's scale, for the same reason.
     */
    @Override
    public double gradientScale(long[] shape) {
        if (exact) {
            return 1.0;
        }
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return 1.0 / Math.sqrt(n);
    }

    @Override
    public <T> List<T> initialValues(TensorOps<T> ops, T w) {
        T pos = positive(ops, w);
        T neg = negative(ops, w);
        return List.of(ops.div(ops.sum(ops.mul(ops.abs(w), pos)), ops.atLeastOne(ops.sum(pos))),
                ops.div(ops.sum(ops.mul(ops.abs(w), neg)), ops.atLeastOne(ops.sum(neg))));
    }

    @Override
    public int bits() {
        return 2;
    }

    @Override
    public String describe() {
        return "TTQ (threshold " + threshold + "·max|w|, learned W_p, W_n)";
    }
}
