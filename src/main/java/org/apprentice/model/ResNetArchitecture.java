package org.apprentice.model;

import java.util.Arrays;

/**
 * One entry of the model registry (as timm's default configs): a named ResNet as its shape, block type and blocks
 * per stage, with the facts every other part reads from here rather than from constants of its own: the deeper
 * ResNet that teaches it by default, the input size it was designed for, and the names (torchvision's) of its first
 * convolution and its classifier.
 *
 * @param defaultTeacher the registry name of its default teacher (itself for the deepest of a family)
 */
public record ResNetArchitecture(String name, StemShape shape, BlockType block, int[] stageDepths,
                                 String defaultTeacher) {
    /** The first convolution's name in every ResNet here, as torchvision and timm name it. */
    public static final String FIRST_CONVOLUTION = "conv1";
    /** The classifier's name in every ResNet here, as torchvision and timm name it. */
    public static final String CLASSIFIER = "fc";

    public ResNetArchitecture {
        if (stageDepths.length != shape.stageWidths().length) {
            throw new IllegalArgumentException(name + ": " + shape + " needs "
                    + shape.stageWidths().length + " stage depths, got " + Arrays.toString(stageDepths));
        }
        stageDepths = stageDepths.clone();
    }

    /** A network of the table's own (a test's), taught by itself. */
    public ResNetArchitecture(String name, StemShape shape, BlockType block, int[] stageDepths) {
        this(name, shape, block, stageDepths, name);
    }

    /** The input height and width the shape was designed for (ImageNet 224, CIFAR 32): the default for image folders. */
    public int defaultImageSize() {
        return shape.defaultImageSize();
    }

    /** The name of its first convolution (the layer whose input channels are the image's). */
    public String firstConvolution() {
        return FIRST_CONVOLUTION;
    }

    /** The name of its classifier (the layer whose outputs are the classes). */
    public String classifier() {
        return CLASSIFIER;
    }

    @Override
    public int[] stageDepths() {
        return stageDepths.clone();
    }

    @Override
    public String toString() {
        return name + " (" + shape + ", " + block + " " + Arrays.toString(stageDepths) + ")";
    }
}
