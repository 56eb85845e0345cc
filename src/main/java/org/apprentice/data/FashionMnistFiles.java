package org.apprentice.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the Fashion-MNIST idx files live: the project's {@code datasets/fashion-mnist/} first, then
 * the folder Debian's {@code dataset-fashion-mnist} package installs. Each file may be gzipped.
 */
public final class FashionMnistFiles {
    public static final Path DEBIAN_FOLDER = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> FILES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private FashionMnistFiles() {
    }

    /** The candidate folders, in the order they are searched. */
    public static List<Path> candidates(Path projectHome) {
        List<Path> folders = new ArrayList<>();
        folders.add(projectHome.resolve("datasets").resolve("fashion-mnist"));
        folders.add(DEBIAN_FOLDER);
        return folders;
    }

    /** The file {@code name} (plain or .gz) in {@code folder}, if present. */
    public static Optional<Path> file(Path folder, String name) {
        for (String candidate : new String[] {name, name + ".gz"}) {
            Path p = folder.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The first folder holding all four files; a one-line error saying where it looked otherwise. */
    public static Path locate(Path projectHome) {
        return locate(candidates(projectHome), projectHome);
    }

    static Path locate(List<Path> folders, Path projectHome) {
        for (Path folder : folders) {
            if (FILES.stream().allMatch(f -> file(folder, f).isPresent())) {
                return folder;
            }
        }
        throw new IllegalStateException("Fashion-MNIST not found (looked for " + String.join(", ", FILES)
                + " [.gz] in " + folders + "): install it with "
                + "'sudo apt-get install dataset-fashion-mnist' or copy the files into "
                + projectHome.resolve("datasets").resolve("fashion-mnist"));
    }
}
