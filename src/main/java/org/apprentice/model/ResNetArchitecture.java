package org.apprentice.model;

import java.util.Arrays;

/** One row of the depth table: a named ResNet as its shape, block type and blocks per stage. */
public record ResNetArchitecture(String name, StemShape shape, BlockType block, int[] stageDepths) {
    public ResNetArchitecture {
        if (stageDepths.length != shape.stageWidths().length) {
            throw new IllegalArgumentException(name + ": " + shape + " needs "
                    + shape.stageWidths().length + " stage depths, got " + Arrays.toString(stageDepths));
        }
        stageDepths = stageDepths.clone();
    }

    @Override
    public int[] stageDepths() {
        return stageDepths.clone();
    }

    /** Number of weighted layers on the main path (convolutions plus the classifier). */
    public int depth() {
        int convsPerBlock = block == BlockType.BASIC ? 2 : 3;
        return 1 + convsPerBlock * Arrays.stream(stageDepths).sum() + 1;
    }

    @Override
    public String toString() {
        return name + " (" + shape + ", " + block + " " + Arrays.toString(stageDepths) + ")";
    }
}
