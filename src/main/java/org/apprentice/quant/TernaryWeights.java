package org.apprentice.quant;

/**
 * Ternary weights as in Ternary Weight Networks (Li et al. 2016), the paper's 2-bit weights: per layer,
 * threshold Δ = 0.7·mean|w|, scale α = mean of |w| over the weights with |w| > Δ, and
 * q(w) = α·sign(w)·[|w| > Δ]. An all-zero tensor has no weight above Δ = 0 and gets α = 0. The
 * gradient passes unchanged (identity STE).
 */
public record TernaryWeights(double thresholdFactor) implements WeightQuantizer {
    public static final double TWN_THRESHOLD = 0.7;

    public TernaryWeights {
        if (!(thresholdFactor >= 0)) {
            throw new IllegalArgumentException("ternary threshold factor must be >= 0, got " + thresholdFactor);
        }
    }

    public TernaryWeights() {
        this(TWN_THRESHOLD);
    }

    /** [|w| > Δ] with Δ = thresholdFactor · mean|w|. */
    private <T> T aboveThreshold(TensorOps<T> ops, T w) {
        return ops.greaterThan(ops.abs(w), ops.mul(ops.mean(ops.abs(w)), thresholdFactor));
    }

    @Override
    public <T> T codes(TensorOps<T> ops, T w) {
        return ops.mul(ops.sign(w), aboveThreshold(ops, w));
    }

    @Override
    public <T> T scale(TensorOps<T> ops, T w) {
        T mask = aboveThreshold(ops, w);
        T count = ops.atLeastOne(ops.sum(mask));
        return ops.div(ops.sum(ops.mul(ops.abs(w), mask)), count);
    }

    @Override
    public int bits() {
        return 2;
    }

    @Override
    public String describe() {
        return "ternary (TWN, threshold " + thresholdFactor + "·mean|w|)";
    }
}
