package org.apprentice.nn;

import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch norm's passes as libnd4j ops, for any data type: contiguous reductions along each row of the [N, C, H·W]
 * view, and the affine maps through libnd4j's {@code batchnorm} op with mean 0, variance 1 and ε 0 (oneDNN for
 * FLOAT; measured faster inside a training step than ND4J's broadcasts along the channel axis, and than a copy
 * followed by in-place column operations on the [N·C, H·W] view).
 */
final class Nd4jPasses implements BatchNormPasses {
    /** Zeros and ones, one per channel, made once: the mean and variance arguments of the affine passes. */
    private INDArray zeros;
    private INDArray ones;

    @Override
    public double[][] moments(INDArray x, int channels) {
        INDArray x3 = rows(x, channels);
        double[] norms = x3.norm2(2).data().asDouble();
        for (int i = 0; i < norms.length; i++) {
            norms[i] *= norms[i];
        }
        return new double[][] {x3.sum(2).data().asDouble(), norms};
    }

    @Override
    public double[][] dots(INDArray dy, INDArray x, int channels) {
        INDArray dy3 = rows(dy, channels);
        return new double[][] {dy3.sum(2).data().asDouble(),
                Nd4j.getExecutioner().exec(new Dot(dy3, rows(x, channels), 2)).data().asDouble()};
    }

    @Override
    public void affine(INDArray x, double[] scale, double[] shift, INDArray out) {
        batchnorm(x, scale, shift, out);
    }

    @Override
    public void affine2(INDArray dy, double[] a, INDArray x, double[] b, double[] shift, INDArray out,
                        Supplier<INDArray> scratch) {
        batchnorm(dy, a, null, out);
        INDArray linear = scratch.get();
        batchnorm(x, b, shift, linear);
        out.addi(linear);
    }

    /** out = scale·x + shift per channel (no shift when null), one op. */
    private void batchnorm(INDArray x, double[] scale, double[] shift, INDArray out) {
        DataType type = x.dataType();
        if (zeros == null || zeros.length() != scale.length || zeros.dataType() != type) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                zeros = Nd4j.zeros(type, scale.length);
                ones = Nd4j.ones(type, scale.length);
            }
        }
        Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                .addInputs(x, zeros, ones, Nd4j.createFromArray(scale).castTo(type),
                        shift == null ? zeros : Nd4j.createFromArray(shift).castTo(type))
                .addOutputs(out).addIntegerArguments(1, 1, 1).addFloatingPointArguments(0.0).build());
    }

    /** The [N, C, H·W] view of a C-order NCHW array. */
    private static INDArray rows(INDArray a, int channels) {
        long n = a.size(0);
        return a.reshape('c', n, channels, a.length() / (n * channels));
    }
}
