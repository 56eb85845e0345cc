package org.apprentice.nn;

import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalization's training passes in as few sweeps over the activations as ND4J's kernels allow.
 *
 * <p>DL4J's layer with its oneDNN helper takes the batch statistics with two reductions over the strided
 * dimensions (0, 2, 3) of an NCHW array, normalises with oneDNN given those statistics, and in the backward pass
 * runs oneDNN's backward with the statistics held constant followed by libnd4j's correction for them: eight
 * further generic broadcasts and reductions. Here, per channel c over the M = N·H·W values of a minibatch:
 * <ul>
 *   <li>forward: the sum and the sum of squares of each (image, channel) row, then the normalisation as one
 *   per-channel affine pass;</li>
 *   <li>backward: Σdy and Σdy·x per row, then dL/dx = a·dy + b·x + c with a = γσ⁻¹, b = −a σ⁻¹ dγ/M,
 *   c = −a dβ/M − b μ, one per-channel affine map of two arrays;</li>
 *   <li>everything per channel (statistics, coefficients, running averages) in Java, in double precision: a
 *   few hundred numbers, where each ND4J op would cost a native dispatch.</li>
 * </ul>
 * The sweeps are {@link BatchNormPasses}: one Java loop each for FLOAT ({@link FloatRowPasses}), libnd4j's ops
 * otherwise. The running statistics are updated exactly as DL4J's layer updates them (through their "gradients", with the
 * same decay and the same log10 standard deviation form). Inference, and any input this does not cover (not 4-d
 * NCHW, fixed γ and β), is DL4J's layer unchanged.
 */
public class FastBatchNormLayer extends BatchNormalization {
    private static final double ONE_ON_2LOGE_10 = 1.0 / (2 * Math.log(10.0));

    /** The last training forward pass's statistics, per channel; null after inference. */
    private double[] batchMean;
    private double[] batchVar;
    /** libnd4j's form of the sweeps, for the arrays the Java sweeps do not take; made when first needed. */
    private BatchNormPasses ops;

    public FastBatchNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
        batchMean = null;
        if (training != TrainingMode.TRAIN || !covers(x)) {
            return super.preOutput(x, training, workspaceMgr);
        }
        INDArray in = Layers.contiguous(x.castTo(dataType));
        statistics(in);
        double[][] p = parameters();
        int c = batchMean.length;
        double[] scale = new double[c];
        double[] shift = new double[c];
        for (int k = 0; k < c; k++) {
            scale[k] = p[0][k] / Math.sqrt(batchVar[k] + layerConf().getEps());
            shift[k] = p[1][k] - batchMean[k] * scale[k];
        }
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, in.shape(), 'c');
        passes(in).affine(in, scale, shift, out);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (batchMean == null) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        INDArray x = Layers.contiguous(input.castTo(dataType));
        INDArray dy = Layers.contiguous(epsilon.castTo(dataType));
        int c = batchMean.length;
        double[][] rows = passes(x).dots(dy, x, c);
        double[] sumDy = channelSums(rows[0], c);
        double[] sumDyX = channelSums(rows[1], c);
        double[][] p = parameters();
        double m = x.length() / c;
        double[] dGamma = new double[c];
        double[] a = new double[c];
        double[] b = new double[c];
        double[] shift = new double[c];
        for (int k = 0; k < c; k++) {
            double invStd = 1 / Math.sqrt(batchVar[k] + layerConf().getEps());
            dGamma[k] = (sumDyX[k] - batchMean[k] * sumDy[k]) * invStd;
            a[k] = p[0][k] * invStd;
            b[k] = -a[k] * invStd * dGamma[k] / m;
            shift[k] = -a[k] * sumDy[k] / m - b[k] * batchMean[k];
        }
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        passes(x).affine2(dy, a, x, b, shift, dx,
                () -> workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c'));
        Gradient gradient = gradients(dGamma, sumDy, runningStatistics(p));
        batchMean = null;
        return new Pair<>(gradient, backpropDropOutIfPresent(dx));
    }

    /** The Java sweeps where they take x (FLOAT, dense, on the CPU), else libnd4j's ops. */
    private BatchNormPasses passes(INDArray x) {
        if (FloatSweeps.takes(x)) {
            return FloatRowPasses.INSTANCE;
        }
        if (ops == null) {
            ops = new Nd4jPasses();
        }
        return ops;
    }

    /**
     * 4-d NCHW input with trained γ and β, whose parameters lie as DL4J lays them out: γ, β, running mean, running
     * variance (or its log10 standard deviation), C values each, in one flattened view. The case this layer
     * computes itself.
     */
    private boolean covers(INDArray x) {
        return x.rank() == 4 && layerConf().getCnn2DFormat() == CNN2DFormat.NCHW && !layerConf().isLockGammaBeta()
                && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE)
                && paramsFlattened != null && paramsFlattened.length() == 4 * x.size(1)
                && paramTable().keySet().stream().toList().equals(List.of(BatchNormalizationParamInitializer.GAMMA,
                BatchNormalizationParamInitializer.BETA, BatchNormalizationParamInitializer.GLOBAL_MEAN,
                runningVarianceKey()));
    }

    private String runningVarianceKey() {
        return layerConf().isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                : BatchNormalizationParamInitializer.GLOBAL_VAR;
    }

    /**
     * The batch mean and (biased) variance per channel from each (image, channel) row's sum and sum of squares,
     * combined in double precision.
     */
    private void statistics(INDArray x) {
        int c = (int) x.size(1);
        double[][] rows = passes(x).moments(x, c);
        double[] sum = channelSums(rows[0], c);
        double[] squares = channelSums(rows[1], c);
        double m = x.length() / c;
        batchMean = new double[c];
        batchVar = new double[c];
        for (int k = 0; k < c; k++) {
            batchMean[k] = sum[k] / m;
            batchVar[k] = Math.max(0, squares[k] / m - batchMean[k] * batchMean[k]);
        }
    }

    /** Σ over images of per-row values (row r is channel r mod C), per channel, in the rows' order. */
    private static double[] channelSums(double[] rows, int channels) {
        double[] out = new double[channels];
        for (int i = 0; i < rows.length; i++) {
            out[i % channels] += rows[i];
        }
        return out;
    }

    /** γ, β, the running mean and the running variance (or log10 standard deviation), per channel, read at once. */
    private double[][] parameters() {
        double[] all = paramsFlattened.reshape(paramsFlattened.length()).toDoubleVector();
        int c = all.length / 4;
        double[][] out = new double[4][];
        for (int i = 0; i < 4; i++) {
            out[i] = Arrays.copyOfRange(all, i * c, (i + 1) * c);
        }
        return out;
    }

    /**
     * The running mean and variance move towards the batch's as DL4J's layer moves them: through their
     * "gradients", which DL4J's updater for these parameters subtracts. mean ← mean − (1 − d)(mean − μ);
     * the variance, or its log10 standard deviation, the same way. Returns the two "gradients".
     */
    private double[][] runningStatistics(double[][] p) {
        double decay = layerConf().getDecay();
        int c = batchMean.length;
        double[][] out = new double[2][c];
        for (int k = 0; k < c; k++) {
            out[0][k] = (p[2][k] - batchMean[k]) * (1 - decay);
            if (layerConf().isUseLogStd()) {
                double before = Math.pow(Math.pow(10, p[3][k]), 2);
                out[1][k] = Math.log(before / (before * decay + batchVar[k] * (1 - decay))) * ONE_ON_2LOGE_10;
            } else {
                out[1][k] = (p[3][k] - batchVar[k]) * (1 - decay);
            }
        }
        return out;
    }

    /** All four gradients written into the layer's flattened gradient view at once, then named. */
    private Gradient gradients(double[] dGamma, double[] dBeta, double[][] running) {
        int c = dGamma.length;
        double[] all = new double[4 * c];
        System.arraycopy(dGamma, 0, all, 0, c);
        System.arraycopy(dBeta, 0, all, c, c);
        System.arraycopy(running[0], 0, all, 2 * c, c);
        System.arraycopy(running[1], 0, all, 3 * c, c);
        gradientsFlattened.assign(array(all).reshape(gradientsFlattened.shape()));
        Gradient gradient = new DefaultGradient();
        for (String key : paramTable().keySet()) {
            gradient.setGradientFor(key, gradientViews.get(key));
        }
        return gradient;
    }

    /** The values as an array of the layer's data type, made directly in it. */
    private INDArray array(double[] values) {
        if (dataType == DataType.DOUBLE) {
            return Nd4j.createFromArray(values);
        }
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return Nd4j.createFromArray(floats);
    }
}
