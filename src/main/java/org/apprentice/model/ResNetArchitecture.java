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

    @Override
    public String toString() {
        return name + " (" + shape + ", " + block + " " + Arrays.toString(stageDepths) + ")";
    }
}
