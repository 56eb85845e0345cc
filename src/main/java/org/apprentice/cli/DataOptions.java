package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import org.apprentice.data.DataSpec;
import org.apprentice.train.RunSettings;

/** The data flags shared by the commands that read a dataset (train, eval). */
final class DataOptions {
    @Parameter(names = "--data", description = "fashion-mnist, synthetic, cifar10:DIR (the binary version), or an "
            + "ImageNet-style folder DIR holding DIR/train/<class>/* and DIR/val/<class>/*")
    String data = RunSettings.defaults().data().source().toString();

    @Parameter(names = "--image-size", description = "Input height and width (default: train: in-memory images at their "
            + "size, raised to the smallest the networks accept; image folders at the student's design size, 224 or 32; "
            + "eval: the size the model was trained at). Image folders: random resized crop in training, resize + "
            + "centre crop in evaluation; in-memory images are resized")
    Integer imageSize;

    @Parameter(names = "--keep-classes", description = "Only these classes of in-memory data, relabelled 0..k-1 in "
            + "the order given: a range 5-9 or a list 0,2,4 (train: the training subset is drawn from their images)")
    String keepClasses;

    @Parameter(names = "--workers", description = "Image-decoding threads for image folders")
    int workers = RunSettings.defaults().execution().workers();

    DataSpec spec() {
        return DataSpec.parse(data);
    }

    /** The classes kept, or null: all. */
    org.apprentice.data.ClassSubset classes() {
        return keepClasses == null ? null : org.apprentice.data.ClassSubset.parse(keepClasses);
    }
}
