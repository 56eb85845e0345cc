package org.apprentice.nn;

/**
 * An activation function that {@link FastActivationLayer} computes in one Java sweep each way over FLOAT arrays
 * on the CPU ({@link FloatSweeps}), given blocks of values: where DL4J's activation layer copies its input each way
 * and the function's own ops make a pass each.
 */
public interface SweptActivation {
    /** v[i] ← f(v[i]) for i in [0, n), in float arithmetic: the same values as the function's own ops give (NaN aside). */
    void forward(float[] v, int n);

    /** dy[i] ← f'(x[i])·dy[i] for i in [0, n): the gradient the function's own backward pass gives. */
    void backward(float[] x, float[] dy, int n);
}
