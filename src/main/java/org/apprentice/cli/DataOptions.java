package org.apprentice.cli;

import com.beust.jcommander.Parameter;

/** The data flags shared by the commands that read a dataset (train, eval). */
final class DataOptions {
    @Parameter(names = "--data", description = "fashion-mnist, synthetic, cifar10:DIR (the binary version), or an "
            + "ImageNet-style folder DIR holding DIR/train/<class>/* and DIR/val/<class>/*")
    String data = "fashion-mnist";

    @Parameter(names = "--image-size", description = "Input height and width for image folders (random resized crop in "
            + "training, resize + centre crop in evaluation)")
    int imageSize = 224;

    @Parameter(names = "--workers", description = "Image-decoding threads for image folders")
    int workers = 2;
}
