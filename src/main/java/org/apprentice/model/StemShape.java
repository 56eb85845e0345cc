package org.apprentice.model;

/** The two shapes of ResNet: the ImageNet one and the small-image (CIFAR) one of He et al. */
public enum StemShape {
    /** 7x7/2 convolution, 3x3/2 max pool, four stages of 64/128/256/512 channels: downsamples 32x. */
    IMAGENET(new int[] {64, 128, 256, 512}, 64, 32, 224),
    /** 3x3 convolution, three stages of 16/32/64 channels: downsamples 4x. */
    SMALL_IMAGE(new int[] {16, 32, 64}, 16, 4, 32);

    private final int[] stageWidths;
    private final int stemWidth;
    private final int downsampling;
    private final int defaultImageSize;

    StemShape(int[] stageWidths, int stemWidth, int downsampling, int defaultImageSize) {
        this.stageWidths = stageWidths;
        this.stemWidth = stemWidth;
        this.downsampling = downsampling;
        this.defaultImageSize = defaultImageSize;
    }

    /** The input height and width the shape was designed for (ImageNet 224, CIFAR 32): the default for image folders. */
    public int defaultImageSize() {
        return defaultImageSize;
    }

    public int[] stageWidths() {
        return stageWidths.clone();
    }

    public int stemWidth() {
        return stemWidth;
    }

    /** Total spatial downsampling: the smallest input height/width the network accepts. */
    public int downsampling() {
        return downsampling;
    }
}
