package org.apprentice.train;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.apprentice.data.DataKey;
import org.apprentice.eval.Accuracy;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * Trained full-precision models kept for reuse as teachers (schemes B and C) and scheme-C starting points, under
 * {@code resnets/store/<label>-<digest>/<model>-x<width>-fp32.zip}. An entry is keyed by what its data is
 * ({@link DataKey}: class names, content, training subset and seed, input shape), which it records in
 * {@code data.json}; a lookup compares that record, never the folder's name, so two datasets in folders of the same
 * name never share an entry and a dataset moved or renamed finds its own. Every completed full-precision
 * {@code --scheme none} run publishes its model here.
 */
public final class ModelStore {
    /** The file in each entry that records its key. */
    public static final String KEY_FILE = "data.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
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

    /** The stored model of {@code key}'s data, or null. */
    public File find(DataKey key, String model, double width) throws IOException {
        Path entry = entry(key);
        Path p = entry == null ? null : entry.resolve(fileName(model, width));
        return p != null && Files.isRegularFile(p) ? p.toFile() : null;
    }

    /**
     * Copies a trained model (and its provenance JSON) into the entry of {@code key} (made, with its record, when
     * there is none yet; {@code label} names its folder for people), atomically; returns where.
     */
    public Path publish(File zip, DataKey key, String label, String model, double width) throws IOException {
        Path entry = entry(key);
        if (entry == null) {
            entry = root.resolve(label + "-" + key.digest().substring(0, 12));
            Files.createDirectories(entry);
            atomically(entry.resolve(KEY_FILE), temp -> JSON.writeValue(temp.toFile(), key));
        }
        Path target = entry.resolve(fileName(model, width));
        atomically(target, temp -> Files.copy(zip.toPath(), temp, StandardCopyOption.REPLACE_EXISTING));
        Path json = RunFolder.provenanceFileOf(zip.toPath());
        if (Files.isRegularFile(json)) {
            Files.copy(json, RunFolder.provenanceFileOf(target), StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** The entry whose recorded key equals {@code key}, or null; entries without a readable record are never used. */
    private Path entry(DataKey key) throws IOException {
        if (!Files.isDirectory(root)) {
            return null;
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(root)) {
            entries = list.filter(p -> Files.isRegularFile(p.resolve(KEY_FILE))).sorted().toList();
        }
        for (Path entry : entries) {
            if (key.equals(recorded(entry))) {
                return entry;
            }
        }
        return null;
    }

    private static DataKey recorded(Path entry) {
        try {
            return JSON.readValue(entry.resolve(KEY_FILE).toFile(), DataKey.class);
        } catch (IOException e) {
            return null; // an unreadable record (an older store, a hand edit) keys nothing
        }
    }

    private static String fileName(String model, double width) {
        return model + "-x" + width + "-fp32.zip";
    }

    private interface Writer {
        void write(Path temp) throws IOException;
    }

    private static void atomically(Path target, Writer writer) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try {
            writer.write(temp);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
