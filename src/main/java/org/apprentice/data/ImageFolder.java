package org.apprentice.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An ImageNet-style split: {@code ROOT/<split>/<class>/<image>}. Classes are the sorted folder names;
 * every non-hidden file in a class folder is a sample (a file that does not decode is reported when
 * read). Layout mistakes give a one-line error naming the folder.
 */
public record ImageFolder(Path folder, List<String> classes, List<Sample> samples) {
    /**
     * What an image folder's RGB pixels are normalised with: ImageNet's statistics, which the ImageNet-shaped ResNets'
     * published weights were trained with.
     */
    public static final org.apprentice.model.Normalization NORMALIZATION = org.apprentice.model.Normalization.IMAGENET;

    /** One image and its class index. */
    public record Sample(Path file, int label) {
    }

    /** Scans {@code root/split}. */
    public static ImageFolder scan(Path root, String split) {
        Path folder = root.resolve(split);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("image folder " + folder + " does not exist (expected "
                    + root + "/" + split + "/<class>/<image>)");
        }
        List<Path> classDirs = new ArrayList<>();
        for (Path p : list(folder)) {
            if (Files.isDirectory(p)) {
                classDirs.add(p);
            } else if (Files.isRegularFile(p)) {
                throw new IllegalArgumentException("image folder " + folder + " holds files directly (e.g. "
                        + p.getFileName() + "); put each class's images in their own sub-folder");
            }
        }
        if (classDirs.isEmpty()) {
            throw new IllegalArgumentException("image folder " + folder + " has no class folders (expected "
                    + folder + "/<class>/<image>)");
        }
        List<String> classes = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (Path dir : classDirs) {
            int label = classes.size();
            classes.add(dir.getFileName().toString());
            int before = samples.size();
            for (Path file : list(dir)) {
                if (Files.isRegularFile(file)) {
                    samples.add(new Sample(file, label));
                }
            }
            if (samples.size() == before) {
                throw new IllegalArgumentException("class folder " + dir + " holds no images");
            }
        }
        return new ImageFolder(folder, List.copyOf(classes), List.copyOf(samples));
    }

    /** A stratified, seeded subset of about {@code n} samples (n/classes per class); n <= 0 keeps all. */
    public ImageFolder subset(int n, long seed) {
        if (n <= 0 || n == samples.size()) {
            return this;
        }
        int[] labels = samples.stream().mapToInt(Sample::label).toArray();
        List<Sample> kept = Subsets.stratified(labels, n, seed, classes.size()).stream().map(samples::get).toList();
        return new ImageFolder(folder, classes, kept);
    }

    /** Train and validation must name the same classes, or labels would mean different things. */
    public static void requireSameClasses(ImageFolder train, ImageFolder val) {
        if (!train.classes.equals(val.classes)) {
            List<String> missing = new ArrayList<>(train.classes);
            missing.removeAll(val.classes);
            List<String> extra = new ArrayList<>(val.classes);
            extra.removeAll(train.classes);
            throw new IllegalArgumentException("class folders of " + val.folder + " differ from " + train.folder
                    + ": missing " + missing + ", extra " + extra);
        }
    }

    /** Sorted, non-hidden entries of a folder. */
    private static List<Path> list(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }
}
