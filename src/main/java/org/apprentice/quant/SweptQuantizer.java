package org.apprentice.quant;

/**
 * A learned activation quantizer that {@link LearnedActivationLayer} computes in one Java sweep each way over FLOAT
 * arrays on the CPU ({@link org.apprentice.nn.FloatSweeps}), given blocks of values and its parameters' values: where
 * its {@link TensorOps} form makes one libnd4j pass per op.
 */
public interface SweptQuantizer {
    /** v[i] ← q(v[i]; p) for i in [from, to): the same float values as the quantizer's ops give (NaN aside). */
    void forward(float[] v, int from, int to, float[] p);

    /**
     * g[i] ← dL/dx[i] (from g = dL/dq, the same values as the ops give) for i in [from, to); adds Σ g·∂q/∂p_k over
     * those values to {@code sums[k]}, in double precision, before the gradient scale.
     */
    void backward(float[] x, float[] g, int from, int to, float[] p, double[] sums);
}
