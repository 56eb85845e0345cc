package org.apprentice.quant;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A quantizer with learned parameters (TTQ's scales, PACT's clipping level, LSQ's step size): its forward value
 * q(x; p) and its element-wise partial derivatives ∂q/∂x (the straight-through estimator) and ∂q/∂p_i are written
 * once against {@link TensorOps}. Both routes derive from them:
 * <ul>
 *   <li>on arrays (the DL4J layers): dL/dx = g ⊙ ∂q/∂x and dL/dp_i = Σ g ⊙ ∂q/∂p_i, summed per output channel
 *       for a per-channel parameter;</li>
 *   <li>as SameDiff ops: {@code sg(q) + (x - sg(x))·sg(∂q/∂x) + Σ_i (p_i - sg(p_i))·sg(∂q/∂p_i)}, whose forward value
 *       is q and whose gradients by SameDiff's own differentiation are exactly those.</li>
 * </ul>
 * An <em>exact</em> quantizer has its rounding switched off and no gradient scale: its partial derivatives are
 * then the true derivatives of its forward function, which finite differences check.
 */
public interface LearnedQuantizer {

    /** Names of the learned parameters, in order (each a scalar, or one value per output channel). */
    List<String> parameters();

    /** Whether each parameter has one value per output channel (dimension 0) rather than one per layer. */
    default boolean perChannel() {
        return false;
    }

    /** q(x; p). */
    <T> T quantize(TensorOps<T> ops, T x, List<T> p);

    /** Whether {@link #quantize} reads its input once, so that it can overwrite it (IN_PLACE ops). */
    default boolean inPlaceSafe() {
        return false;
    }

    /** ∂q/∂x, element-wise: the straight-through estimator. */
    <T> T inputDerivative(TensorOps<T> ops, T x, List<T> p);

    /** ∂q/∂p_i, element-wise (before the gradient scale). */
    <T> T parameterDerivative(TensorOps<T> ops, T x, List<T> p, int i);

    /** The factor on every parameter's gradient (LSQ's 1/sqrt(N·Q)); 1 by default. */
    default double gradientScale(long[] shape) {
        return 1.0;
    }

    /** Starting values, from the tensor the quantizer first sees (weights, or a first batch of activations). */
    <T> List<T> initialValues(TensorOps<T> ops, T x);

    /**
     * The quantizer as Java sweeps over float values, where it has that form (LSQ's activations), else null: its
     * activation layer then computes with it instead of the ops.
     */
    default SweptQuantizer swept() {
        return null;
    }

    /** Bits a quantized value takes. */
    int bits();

    /** Short description, e.g. "TTQ (threshold 0.05·max|w|, learned W_p, W_n)". */
    String describe();

    /** dL/dx from g = dL/dq. */
    default <T> T inputGradient(TensorOps<T> ops, T x, List<T> p, T g) {
        return ops.mul(g, inputDerivative(ops, x, p));
    }

    /** dL/dp_i from g = dL/dq: summed over the tensor, or per output channel. */
    default <T> T parameterGradient(TensorOps<T> ops, T x, List<T> p, T g, int i, long[] shape) {
        T local = ops.mul(ops.mul(g, parameterDerivative(ops, x, p, i)), gradientScale(shape));
        return perChannel() ? ops.sumPerChannel(local) : ops.sum(local);
    }

    /**
     * dL/dx, then dL/dp_i for every parameter, from g = dL/dq: what a layer's backward pass needs. By default one by
     * one; a quantizer may override it to share intermediate tensors (same values).
     */
    default <T> List<T> gradients(TensorOps<T> ops, T x, List<T> p, T g, long[] shape) {
        List<T> out = new ArrayList<>();
        out.add(inputGradient(ops, x, p, g));
        for (int i = 0; i < p.size(); i++) {
            out.add(parameterGradient(ops, x, p, g, i, shape));
        }
        return out;
    }

    /** The quantizer as SameDiff ops: forward q, gradients ∂q/∂x and ∂q/∂p_i (with the gradient scale). */
    default SDVariable straightThrough(SameDiff sd, SDVariable x, List<SDVariable> p, long[] shape) {
        SameDiffOps ops = new SameDiffOps(sd);
        SDVariable out = Quantizer.stopGradient(sd, quantize(ops, x, p));
        out = out.add(x.sub(Quantizer.stopGradient(sd, x)).mul(Quantizer.stopGradient(sd, inputDerivative(ops, x, p))));
        double scale = gradientScale(shape);
        List<SDVariable> derivatives = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            derivatives.add(Quantizer.stopGradient(sd, parameterDerivative(ops, x, p, i).mul(scale)));
        }
        for (int i = 0; i < p.size(); i++) {
            out = out.add(p.get(i).sub(Quantizer.stopGradient(sd, p.get(i))).mul(derivatives.get(i)));
        }
        return out;
    }
}
