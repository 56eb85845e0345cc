package org.apprentice.quant;

/**
 * The handful of tensor operations the quantizers are written in. Each quantizer's math is written
 * once against this interface and runs either as SameDiff ops ({@link SameDiffOps}, which gives the
 * STE its gradient by SameDiff's own differentiation) or directly on ND4J arrays ({@link ArrayOps},
 * the fast path used inside DL4J layers). Functional style: callers never reuse an argument after
 * an in-place implementation may have overwritten it.
 *
 * @param <T> the tensor type ({@code SDVariable} or {@code INDArray})
 */
public interface TensorOps<T> {
    /** A scalar tensor of value {@code value} in the data type of {@code like}. */
    T constant(T like, double value);

    T abs(T x);

    T sign(T x);

    /**
     * Round half to even, as {@code torch.round} and {@code tf.round} (the frameworks WRPN and DoReFa
     * were written in); ND4J's {@code rint}, which is also 7x faster on CPU than its {@code round}.
     */
    T round(T x);

    T clip(T x, double min, double max);

    T mul(T x, T y);

    /** x + y, broadcasting y (a scalar tensor, or one value per output channel). */
    T add(T x, T y);

    T add(T x, double y);

    /** x - y, broadcasting y as {@link #add}. */
    T sub(T x, T y);

    T mul(T x, double y);

    T div(T x, T y);

    T div(T x, double y);

    /** 1 where x > threshold, else 0 (threshold a scalar tensor), in x's data type. */
    T greaterThan(T x, T threshold);

    /** 1 where min <= x <= max, else 0, in x's data type. */
    T inRange(T x, double min, double max);

    /** Mean of all elements, as a scalar tensor. */
    T mean(T x);

    /** Sum of all elements, as a scalar tensor. */
    T sum(T x);

    /** Maximum of all elements, as a scalar tensor. */
    T max(T x);

    /** Mean over every dimension but the first, keeping dimensions (one value per output channel). */
    T meanPerChannel(T x);

    /** Sum over every dimension but the first, keeping dimensions (one value per output channel). */
    T sumPerChannel(T x);

    /** Maximum over every dimension but the first, keeping dimensions (one value per output channel). */
    T maxPerChannel(T x);

    /** x where x > 0, else 1 (guards divisions by an all-zero range). */
    T positiveOrOne(T x);

    /** max(x, 1) for a scalar count. */
    T atLeastOne(T x);

    /**
     * The same operations overwriting their first argument where the backend can (ND4J arrays); the same
     * operations otherwise (SameDiff's are values). For tensors a quantizer made itself and no longer needs.
     */
    default TensorOps<T> inPlace() {
        return this;
    }
}
