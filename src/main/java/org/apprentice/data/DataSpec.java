package org.apprentice.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@code --data} names, parsed once: the embedded Fashion-MNIST, synthetic images (tests), the binary
 * CIFAR-10 in a folder, or an ImageNet-style folder. {@link #toString()} gives back the text it was parsed from.
 *
 * @param path the folder for {@link Kind#CIFAR10} and {@link Kind#IMAGE_FOLDER}, as the user gave it; else null
 */
public record DataSpec(Kind kind, Path path) {
    /** The kinds of data a run can read. */
    public enum Kind { FASHION_MNIST, SYNTHETIC, CIFAR10, IMAGE_FOLDER }

    public static final DataSpec FASHION_MNIST = new DataSpec(Kind.FASHION_MNIST, null);
    public static final DataSpec SYNTHETIC = new DataSpec(Kind.SYNTHETIC, null);
    private static final String CIFAR10_PREFIX = "cifar10:";

    public DataSpec {
        Objects.requireNonNull(kind, "kind");
        boolean needsPath = kind == Kind.CIFAR10 || kind == Kind.IMAGE_FOLDER;
        if (needsPath != (path != null)) {
            throw new IllegalArgumentException("--data: " + kind + (needsPath ? " needs" : " takes no") + " folder");
        }
    }

    /** "fashion-mnist", "synthetic", "cifar10:DIR" or an image folder DIR; whether a folder exists is checked on opening. */
    public static DataSpec parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("--data is empty: give fashion-mnist, synthetic, cifar10:DIR or an "
                    + "image folder DIR");
        }
        return switch (t) {
            case "fashion-mnist" -> FASHION_MNIST;
            case "synthetic" -> SYNTHETIC;
            default -> t.startsWith(CIFAR10_PREFIX)
                    ? new DataSpec(Kind.CIFAR10, Path.of(t.substring(CIFAR10_PREFIX.length())))
                    : new DataSpec(Kind.IMAGE_FOLDER, Path.of(t));
        };
    }

    /** The height and width the images are stored at (in-memory sets), or 0 for image folders (any size). */
    public int storedSize() {
        return switch (kind) {
            case FASHION_MNIST -> FashionMnist.SHAPE.height();
            case SYNTHETIC -> SyntheticImages.SHAPE.height();
            case CIFAR10 -> Cifar10.SHAPE.height();
            case IMAGE_FOLDER -> 0;
        };
    }

    /**
     * The zero padding a side of {@link Augment#CROP_FLIP}'s random crop for in-memory images, as the usual
     * recipes set it: 2 pixels at 28x28 (Fashion-MNIST), 4 at 32x32 (CIFAR-10), 1 at the synthetic 16x16;
     * 0 for image folders, which crop their own way.
     */
    public int cropPadding() {
        return switch (kind) {
            case FASHION_MNIST -> 2;
            case CIFAR10 -> 4;
            case SYNTHETIC -> 1;
            case IMAGE_FOLDER -> 0;
        };
    }

    /** Images held in memory (whole splits as arrays) rather than streamed from files. */
    public boolean inMemory() {
        return kind != Kind.IMAGE_FOLDER;
    }

    /**
     * A name of this data with {@code trainSubset} training images (0: all), for people and folder names (the model
     * store's entries start with it; {@link DataKey} is what keys them): "fashion-mnist", "fashion-mnist-5000",
     * "cifar10-FOLDERNAME", "FOLDERNAME".
     */
    public String label(int trainSubset) {
        String base = switch (kind) {
            case FASHION_MNIST -> "fashion-mnist";
            case SYNTHETIC -> "synthetic";
            case CIFAR10 -> "cifar10-" + path.getFileName();
            case IMAGE_FOLDER -> String.valueOf(path.getFileName());
        };
        return base.replaceAll("[^A-Za-z0-9._-]", "_") + (trainSubset > 0 ? "-" + trainSubset : "");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case FASHION_MNIST -> "fashion-mnist";
            case SYNTHETIC -> "synthetic";
            case CIFAR10 -> CIFAR10_PREFIX + path;
            case IMAGE_FOLDER -> path.toString();
        };
    }
}
