package org.apprentice.quant;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;

/**
 * A quantizer: its math written once against {@link TensorOps}, so that it runs as SameDiff ops or on
 * arrays, and its straight-through estimator (STE) as a SameDiff op.
 *
 * <p>M2.1 has no Java-defined SameDiff op with its own gradient, so the STE is composed from stock
 * ops: {@code sg(q(x)) + (x - sg(x)) * sg(mask)} has exactly q's forward value and the gradient
 * {@code mask} (1 everywhere when the quantizer has no mask), where {@code sg} stops gradients.
 */
public interface Quantizer {

    /** q(x). */
    <T> T quantize(TensorOps<T> ops, T x);

    /** Where the STE lets the gradient through (1) or blocks it (0); {@code null}: everywhere. */
    default <T> T steMask(TensorOps<T> ops, T x) {
        return null;
    }

    /** The STE as a SameDiff op: forward equals q(x), gradient equals the mask (or 1). */
    default SDVariable straightThrough(SameDiff sd, SDVariable x) {
        SameDiffOps ops = new SameDiffOps(sd);
        SDVariable passThrough = x.sub(stopGradient(sd, x));
        SDVariable mask = steMask(ops, x);
        if (mask != null) {
            passThrough = passThrough.mul(stopGradient(sd, mask));
        }
        return stopGradient(sd, quantize(ops, x)).add(passThrough);
    }

    /**
     * Whether {@link #quantize} may run with {@link ArrayOps#IN_PLACE}: true when the definition uses
     * its input only once (weight quantizers read w several times, so they must not).
     */
    default boolean inPlaceSafe() {
        return false;
    }

    /** Short description, e.g. "ternary (TWN, threshold 0.7·mean|w|)". */
    String describe();

    /** The identity forward, no gradient ({@code StopGradient}; M2.1 has no {@code sd.stopGradient}). */
    static SDVariable stopGradient(SameDiff sd, SDVariable x) {
        return new StopGradient(sd, x).outputVariable();
    }
}
