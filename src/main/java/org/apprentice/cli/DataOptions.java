package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import org.apprentice.data.DataSpec;
import org.apprentice.train.RunSettings;

/** The data flags shared by the commands that read a dataset (train, eval). */
final class DataOptions {
    @Parameter(names = "--data", description = "fashion-mnist, synthetic, cifar10:DIR (the binary version), or an "
            + "ImageNet-style folder DIR holding DIR/train/<class>/* and DIR/val/<class>/*")
    String data = RunSettings.defaults().data().toString();

    @Parameter(names = "--image-size", description = "Input height and width for image folders (random resized crop in "
            + "training, resize + centre crop in evaluation)")
    int imageSize = RunSettings.defaults().imageSize();

    @Parameter(names = "--workers", description = "Image-decoding threads for image folders")
    int workers = RunSettings.defaults().workers();

    DataSpec spec() {
        return DataSpec.parse(data);
    }
}
