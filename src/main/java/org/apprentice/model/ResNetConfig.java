package org.apprentice.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * Everything that fixes one ResNet: architecture, classes, input, width, per-layer precision, and
 * the numeric settings of its graph. Teacher and student are two instances of this record.
 *
 * @param widthMultiplier scales every layer's channel count (WRPN widens low-precision students)
 * @param weightDecay     weight decay on convolution and dense weights (not on biases nor batch norm)
 * @param decay           how it enters training: L2 before the updater, or DL4J's decoupled form
 */
public record ResNetConfig(ResNetArchitecture architecture, int numClasses, InputShape input,
                           double widthMultiplier, PrecisionSpec precision, long seed,
                           DataType dataType, IUpdater updater, double weightDecay, WeightDecay decay) {

    public ResNetConfig {
        decay = decay == null ? WeightDecay.L2 : decay;
    }

    /** He et al.'s defaults: SGD with Nesterov momentum 0.9, learning rate 0.1, weight decay 1e-4. */
    public static ResNetConfig of(String modelName, int numClasses, InputShape input) {
        return new ResNetConfig(ModelRegistry.get(modelName), numClasses, input, 1.0,
                PrecisionSpec.fullPrecision(), 42L, DataType.FLOAT, new Nesterovs(0.1, 0.9), 1e-4, WeightDecay.L2);
    }

    public ResNetConfig withWidthMultiplier(double multiplier) {
        return new ResNetConfig(architecture, numClasses, input, multiplier, precision, seed, dataType,
                updater, weightDecay, decay);
    }

    public ResNetConfig withPrecision(PrecisionSpec spec) {
        return new ResNetConfig(architecture, numClasses, input, widthMultiplier, spec, seed, dataType,
                updater, weightDecay, decay);
    }

    public ResNetConfig withSeed(long newSeed) {
        return new ResNetConfig(architecture, numClasses, input, widthMultiplier, precision, newSeed,
                dataType, updater, weightDecay, decay);
    }

    public ResNetConfig withDataType(DataType type) {
        return new ResNetConfig(architecture, numClasses, input, widthMultiplier, precision, seed, type,
                updater, weightDecay, decay);
    }

    public ResNetConfig withUpdater(IUpdater newUpdater, double newWeightDecay) {
        return new ResNetConfig(architecture, numClasses, input, widthMultiplier, precision, seed,
                dataType, newUpdater, newWeightDecay, decay);
    }

    public ResNetConfig withWeightDecay(WeightDecay form) {
        return new ResNetConfig(architecture, numClasses, input, widthMultiplier, precision, seed, dataType, updater,
                weightDecay, form);
    }

    /** Throws a one-line error naming the offending value. */
    public void validate() {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("number of classes must be positive, got " + numClasses);
        }
        if (!(widthMultiplier > 0) || Double.isInfinite(widthMultiplier)) {
            throw new IllegalArgumentException("width multiplier must be positive, got " + widthMultiplier);
        }
        int minimum = architecture.shape().downsampling();
        if (input.height() < minimum || input.width() < minimum) {
            throw new IllegalArgumentException("input " + input + " is too small for " + architecture.name()
                    + ": height and width must be at least " + minimum + " (it downsamples " + minimum + "x)");
        }
    }

    /** A channel count scaled by the width multiplier, at least 1. */
    public int scaled(int channels) {
        return Math.max(1, (int) Math.round(channels * widthMultiplier));
    }
}
