package org.apprentice.train;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apprentice.eval.Accuracy;

/**
 * Trained full-precision models kept for reuse as teachers (schemes B, C) and scheme-C starting points,
 * under {@code resnets/store/<data>/<model>-x<width>-fp32.zip}: the data key ({@code DataSpec.storeKey}) names
 * the dataset and the training subset. Every completed full-precision {@code --scheme none} run publishes its model here.
 */
public final class ModelStore {
    private final Path root;

    public ModelStore(Path home) {
        this.root = home.resolve("resnets").resolve("store");
    }

    /**
     * Whether a model's test accuracy is clearly above guessing: its top-1 hits exceed what a uniform guess
     * over {@code classes} gets by more than three binomial standard deviations.
     */
    public static boolean aboveChance(Accuracy accuracy, int classes) {
        double n = accuracy.examples();
        double p = 1.0 / classes;
        return n > 0 && accuracy.top1() * n > n * p + 3 * Math.sqrt(n * p * (1 - p));
    }

    public Path path(String dataKey, String model, double width) {
        return root.resolve(dataKey).resolve(model + "-x" + width + "-fp32.zip");
    }

    /** The stored model, or null. */
    public File find(String dataKey, String model, double width) {
        Path p = path(dataKey, model, width);
        return Files.isRegularFile(p) ? p.toFile() : null;
    }

    /** Copies a trained model (and its provenance JSON) into the store, atomically; returns where. */
    public Path publish(File zip, String dataKey, String model, double width) throws IOException {
        Path target = path(dataKey, model, width);
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        Files.copy(zip.toPath(), temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Path json = RunFolder.provenanceFileOf(zip.toPath());
        if (Files.isRegularFile(json)) {
            Files.copy(json, RunFolder.provenanceFileOf(target), StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }
}
