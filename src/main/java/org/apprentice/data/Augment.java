package org.apprentice.data;

import org.apprentice.io.FlagValues;

/** Training-time augmentation ({@code --augment}); evaluation never augments. */
public enum Augment {
    /**
     * In-memory images: a random crop of the image padded with zeros ({@link DataSpec#cropPadding()} pixels a
     * side) and a horizontal flip with probability 0.5 ({@link CropFlip}); image folders: their random
     * resized crop and flip.
     */
    CROP_FLIP,
    /** The images as stored (image folders: the evaluation's centre crop). */
    NONE;

    /** The flag's spelling: crop-flip, none. */
    public String flag() {
        return name().toLowerCase().replace('_', '-');
    }

    public static Augment parse(String text) {
        return FlagValues.parse("--augment", text, values(), Augment::flag);
    }
}
