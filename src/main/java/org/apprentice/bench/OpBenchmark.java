package org.apprentice.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apprentice.nn.FloatRowPasses;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The libnd4j ops the project's layers choose between, timed alone on random FLOAT arrays: the evidence behind
 * {@code FastConvolutionLayer}'s backward route and the batch norm and ReLU passes, and batch norm's Java sweeps on
 * one thread and two ({@code bench --ops}).
 */
public final class OpBenchmark {

    /** Median milliseconds of one call of {@code op} at {@code shape}. */
    public record Row(String op, String shape, double milliseconds) {
    }

    /** Convolution shapes: batch, in, out, height = width (3x3, stride 1, padding 1). */
    private static final int[][] CONVOLUTIONS = {{128, 3, 16, 32}, {128, 16, 16, 32}, {128, 32, 32, 16},
        {16, 64, 64, 56}, {16, 512, 512, 7}};

    /** Batch-norm shapes: batch, channels, height = width. */
    private static final int[][] BATCH_NORMS = {{128, 16, 32}, {128, 32, 16}, {16, 64, 56}, {16, 512, 7}};

    private OpBenchmark() {
    }

    public static List<Row> run(int warmup, int steps) {
        List<Row> rows = new ArrayList<>();
        for (int[] c : CONVOLUTIONS) {
            String shape = c[1] + "->" + c[2] + " at " + c[3] + "x" + c[3] + ", batch " + c[0];
            INDArray x = Nd4j.randn(DataType.FLOAT, c[0], c[1], c[3], c[3]);
            INDArray w = Nd4j.randn(DataType.FLOAT, c[2], c[1], 3, 3);
            INDArray dy = Nd4j.randn(DataType.FLOAT, c[0], c[2], c[3], c[3]);
            INDArray dx = x.ulike();
            INDArray dw = w.ulike();
            INDArray unused = dy.ulike();
            int[] args = {3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1};
            rows.add(new Row("conv2d_bp", shape, time(warmup, steps, () -> exec("conv2d_bp", args,
                    new INDArray[] {x, w, dy}, dx, dw))));
            rows.add(new Row("deconv2d + deconv2d_bp (transposed route)", shape, time(warmup, steps, () -> {
                exec("deconv2d", args, new INDArray[] {dy, w}, dx);
                exec("deconv2d_bp", args, new INDArray[] {dy, w, x}, unused, dw);
            })));
        }
        for (int[] b : BATCH_NORMS) {
            rows.addAll(batchNormSweeps(b, warmup, steps));
        }
        INDArray x = Nd4j.randn(DataType.FLOAT, 128, 16, 32, 32);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 128, 16, 32, 32);
        INDArray out = x.ulike();
        INDArray zero = Nd4j.zeros(DataType.FLOAT, 16);
        INDArray one = Nd4j.ones(DataType.FLOAT, 16);
        String shape = "128x16x32x32";
        rows.add(new Row("batchnorm op as a per-channel affine pass", shape, time(warmup, steps, () -> Nd4j.exec(
                DynamicCustomOp.builder("batchnorm").addInputs(x, zero, one, one, zero).addOutputs(out)
                        .addIntegerArguments(1, 1, 1).addFloatingPointArguments(0.0).build()))));
        rows.add(new Row("element-wise add in place", shape, time(warmup, steps, () -> out.addi(x))));
        rows.add(new Row("relu_bp", shape, time(warmup, steps,
                () -> Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(x, dy, out)))));
        rows.add(new Row("step, then multiply in place", shape, time(warmup, steps, () -> {
            Nd4j.getExecutioner().exec(new Step(x, out));
            out.muli(dy);
        })));
        return rows;
    }

    /** Batch norm's four Java sweeps of one training step, on 1 thread and shared out between 2. */
    private static List<Row> batchNormSweeps(int[] b, int warmup, int steps) {
        String shape = b[0] + "x" + b[1] + "x" + b[2] + "x" + b[2];
        INDArray x = Nd4j.randn(DataType.FLOAT, b[0], b[1], b[2], b[2]);
        INDArray dy = Nd4j.randn(DataType.FLOAT, b[0], b[1], b[2], b[2]);
        INDArray out = x.ulike();
        INDArray dx = x.ulike();
        List<Row> rows = new ArrayList<>();
        for (int threads : new int[] {1, 2}) {
            rows.add(new Row("batch norm's four Java sweeps, " + threads + " thread" + (threads == 1 ? "" : "s"),
                    shape, time(warmup, steps, () -> FloatRowPasses.trainingStep(x, dy, out, dx, threads))));
        }
        return rows;
    }

    private static void exec(String op, int[] args, INDArray[] inputs, INDArray... outputs) {
        Nd4j.exec(DynamicCustomOp.builder(op).addInputs(inputs).addOutputs(outputs).addIntegerArguments(args).build());
    }

    private static double time(int warmup, int steps, Runnable op) {
        for (int i = 0; i < warmup; i++) {
            op.run();
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            op.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[steps / 2];
    }
}
