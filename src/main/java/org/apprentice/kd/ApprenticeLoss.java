package org.apprentice.kd;

import java.util.Objects;
import org.apprentice.io.FlagValues;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The apprentice's part of the Apprentice objective (Mishra and Marr 2018, eq. 1):
 * {@code β·H(y, p_A) + γ·H(teacher, p_A)}, with the paper's β = γ = 0.5. The teacher's own term
 * α·H(y, p_T) is the teacher's loss, not this one (scheme A trains it separately).
 *
 * <p>Labels are {@code [one-hot y | teacher logits z_T]}, width 2C against the student's C logits
 * (the layer's activation must be the identity: this loss applies the softmax itself). The teacher
 * target is, by default, the teacher's softmax at temperature T: {@code H(softmax(z_T/T), softmax(z_A/T))}
 * multiplied by T² so that its gradient keeps its size as T changes (Hinton et al. 2015); at the
 * paper's T = 1 this is plain cross-entropy with the teacher's probabilities. {@link Target#LOGITS}
 * instead reads the paper's notation {@code H(z_T, p_A) = -Σ z_T log p_A} literally, with raw logits.
 *
 * <p>Masks and {@code average} behave as in DL4J's {@code LossMCXENT}: a per-example [mb, 1] or
 * per-output [mb, C] mask multiplies the per-output score and the gradient; {@code average} divides
 * the summed score by the minibatch size. A Jackson bean: it serialises with the model.
 */
public final class ApprenticeLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    /** What the distillation term compares the student with. */
    public enum Target {
        /** The teacher's probabilities at temperature T. */
        SOFTMAX,
        /** The teacher's raw logits (the paper's notation read literally). */
        LOGITS;

        /** The flag's spelling: softmax, logits. */
        public String flag() {
            return name().toLowerCase();
        }

        /** Parses softmax or logits (any case); the error names the allowed values. */
        public static Target parse(String text) {
            return FlagValues.parse("--target", text, values(), Target::flag);
        }
    }

    public static final double PAPER_BETA = 0.5;
    public static final double PAPER_GAMMA = 0.5;

    private double beta = PAPER_BETA;
    private double gamma = PAPER_GAMMA;
    private double temperature = 1.0;
    private Target target = Target.SOFTMAX;

    /** The paper's weights (β = γ = 0.5) at T = 1. */
    public ApprenticeLoss() {
    }

    public ApprenticeLoss(double beta, double gamma, double temperature, Target target) {
        if (!(beta >= 0) || !(gamma >= 0)) {
            throw new IllegalArgumentException("beta and gamma must be >= 0, got " + beta + " and " + gamma);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        this.beta = beta;
        this.gamma = gamma;
        this.temperature = temperature;
        this.target = Objects.requireNonNull(target);
    }

    /** Splits labels [y | z_T] into y and z_T (views). */
    private static INDArray[] split(INDArray labels, long classes) {
        if (labels.size(1) != 2 * classes) {
            throw new IllegalStateException("ApprenticeLoss needs labels [one-hot y | teacher logits] of width "
                    + 2 * classes + ", got " + labels.size(1));
        }
        return new INDArray[] {labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, classes)),
                labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(classes, 2 * classes))};
    }

    /** Row-wise log-softmax, stable: z - max - log Σ exp(z - max). */
    static INDArray logSoftmax(INDArray logits) {
        INDArray shifted = logits.subColumnVector(logits.max(true, 1));
        INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
        return shifted.subiColumnVector(logSumExp);
    }

    static INDArray softmax(INDArray logits) {
        return Transforms.exp(logSoftmax(logits), false);
    }

    private INDArray logits(INDArray preOutput, IActivation activationFn) {
        return activationFn.getActivation(preOutput.dup(), true);
    }

    /** The distillation target t (teacher probabilities at T, or raw teacher logits). */
    private INDArray teacherTarget(INDArray teacherLogits) {
        return target == Target.SOFTMAX ? softmax(teacherLogits.div(temperature)) : teacherLogits.dup();
    }

    /** Per-output contributions to the score, before masking: [mb, C]. */
    private INDArray scorePerOutput(INDArray labels, INDArray preOutput, IActivation activationFn) {
        INDArray z = logits(preOutput, activationFn);
        INDArray[] yt = split(labels, z.size(1));
        INDArray studentCe = yt[0].mul(logSoftmax(z)).muli(-beta);
        INDArray distill = target == Target.SOFTMAX
                ? teacherTarget(yt[1]).muli(logSoftmax(z.div(temperature))).muli(-gamma * temperature * temperature)
                : yt[1].mul(logSoftmax(z)).muli(-gamma);
        return studentCe.addi(distill);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray perOutput = scorePerOutput(labels, preOutput, activationFn);
        if (mask != null) {
            LossUtil.applyMask(perOutput, mask);
        }
        return perOutput.sum(true, 1);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray z = logits(preOutput, activationFn);
        INDArray[] yt = split(labels, z.size(1));
        // d/dz of β·H(y, softmax(z)): β·(softmax(z)·Σy - y)
        INDArray grad = softmax(z).muliColumnVector(yt[0].sum(true, 1)).subi(yt[0]).muli(beta);
        if (target == Target.SOFTMAX) {
            // d/dz of γ·T²·H(t, softmax(z/T)) with Σt = 1: γ·T·(softmax(z/T) - t)
            grad.addi(softmax(z.div(temperature)).subi(teacherTarget(yt[1])).muli(gamma * temperature));
        } else {
            // d/dz of -γ·Σ z_T log softmax(z): γ·(softmax(z)·Σz_T - z_T)
            grad.addi(softmax(z).muliColumnVector(yt[1].sum(true, 1)).subi(yt[1]).muli(gamma));
        }
        INDArray dLdPre = activationFn.backprop(preOutput.dup(), grad).getFirst();
        if (mask != null) {
            LossUtil.applyMask(dLdPre, mask);
        }
        return dLdPre;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    /**
     * The two terms, unweighted and averaged over the minibatch, for logging: {@code H(y, p_A)} and
     * the distillation term ({@code T²·H(t, p_A^T)}, or {@code H(z_T, p_A)} for raw logits).
     */
    public double[] terms(INDArray labels, INDArray studentLogits) {
        INDArray[] yt = split(labels, studentLogits.size(1));
        double n = studentLogits.size(0);
        double ce = -yt[0].mul(logSoftmax(studentLogits)).sumNumber().doubleValue() / n;
        double kd = target == Target.SOFTMAX
                ? -teacherTarget(yt[1]).muli(logSoftmax(studentLogits.div(temperature))).sumNumber().doubleValue()
                        * temperature * temperature / n
                : -yt[1].mul(logSoftmax(studentLogits)).sumNumber().doubleValue() / n;
        return new double[] {ce, kd};
    }

    /** Labels for this loss: [y | teacher logits]. */
    public static INDArray labels(INDArray oneHot, INDArray teacherLogits) {
        return Nd4j.hstack(oneHot, teacherLogits.castTo(oneHot.dataType()));
    }

    @Override
    public String name() {
        return toString();
    }

    public double getBeta() {
        return beta;
    }

    public void setBeta(double beta) {
        this.beta = beta;
    }

    public double getGamma() {
        return gamma;
    }

    public void setGamma(double gamma) {
        this.gamma = gamma;
    }

    public double getTemperature() {
        return temperature;
    }

    public void setTemperature(double temperature) {
        this.temperature = temperature;
    }

    public Target getTarget() {
        return target;
    }

    public void setTarget(Target target) {
        this.target = target;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApprenticeLoss other && other.beta == beta && other.gamma == gamma
                && other.temperature == temperature && other.target == target;
    }

    @Override
    public int hashCode() {
        return Objects.hash(beta, gamma, temperature, target);
    }

    @Override
    public String toString() {
        return "ApprenticeLoss(beta=" + beta + ", gamma=" + gamma + ", T=" + temperature + ", target=" + target + ")";
    }
}
