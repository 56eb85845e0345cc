package org.apprentice.model;

/** The two residual blocks of He et al.; {@code expansion} is output channels over the block's width. */
public enum BlockType {
    /** Two 3x3 convolutions (ResNet-18/34 and the small-image family). */
    BASIC(1),
    /** 1x1 reduce, 3x3 (carrying the stride, as torchvision's "ResNet v1.5"), 1x1 expand by 4. */
    BOTTLENECK(4);

    private final int expansion;

    BlockType(int expansion) {
        this.expansion = expansion;
    }

    public int expansion() {
        return expansion;
    }
}
