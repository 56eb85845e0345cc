package org.apprentice.train;

import java.util.Objects;
import org.apprentice.data.Augment;
import org.apprentice.data.ClassSubset;
import org.apprentice.data.DataSpec;

/**
 * What a run learns from: one component of {@link RunSettings}.
 *
 * @param source      the dataset
 * @param trainSubset training images kept (stratified, drawn with {@code subsetSeed}); 0 keeps all
 * @param subsetSeed  draws the training subset ({@code --subset-seed}; the run's {@code --seed} unless given), apart
 *                    from the seed of the initial weights, the minibatch order and the augmentation, so that seeds can
 *                    measure training noise on one fixed subset
 * @param imageSize   input height and width
 * @param augment     training-time augmentation (never in evaluation)
 * @param classes     the classes kept ({@code --keep-classes}); null: all
 */
public record DataSettings(DataSpec source, int trainSubset, long subsetSeed, int imageSize, Augment augment, ClassSubset classes) {
    public DataSettings {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(augment, "augment");
        Checks.atLeast("--train-subset", trainSubset, 0);
        Checks.atLeast("--image-size", imageSize, 1);
    }

    /** The data's label with its subset: "fashion-mnist", "fashion-mnist (20000 images)", ... */
    public String label() {
        return classes == null ? source.label(trainSubset) : source.label(0) + "-classes-" + classes.flag()
                + (trainSubset > 0 ? "-" + trainSubset : "");
    }
}
