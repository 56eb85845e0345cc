package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.data.DataKey;
import org.apprentice.data.DataSource;
import org.apprentice.data.DataSpec;
import org.apprentice.eval.Accuracy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model store: it takes only models that learned something, keys them by what their data is, and a run checks
 * that its disk has room before it writes.
 */
class ModelStoreTest {

    @Test
    void onlyAModelClearlyAboveChanceCountsAsTrained() {
        // 10 classes, 10,000 test images: chance is 1,000 hits with a standard deviation of 30
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1000, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.1085, 0.5, 10_000), 10));
        assertTrue(ModelStore.aboveChance(new Accuracy(0.1095, 0.5, 10_000), 10));
        assertTrue(!ModelStore.aboveChance(new Accuracy(0.0, 0.0, 0), 10));
    }

    @Test
    void aDiskTooSmallForTheCheckpointsIsRefusedBeforeTraining() {
        java.nio.file.Path out = java.nio.file.Path.of("/data/run");
        TrainingRun.requireSpace(out, 1_000_000, 1_000_000);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> TrainingRun.requireSpace(out, 39_000_000, 2_500_000));
        org.junit.jupiter.api.Assertions.assertEquals("--out /data/run: only 2.5 MB free on its disk, the run needs "
                + "about 39.0 MB for its checkpoints and models; free some space or give another --out", e.getMessage());
    }

    /** Writes a two-class image folder: class folders {@code names}, each with its own images (distinct files). */
    private static Path digits(Path parent, String first, String second) throws IOException {
        Path root = parent.resolve("digits");
        for (String split : List.of("train", "val")) {
            for (int k = 0; k < 2; k++) {
                for (int i = 0; i < 3; i++) {
                    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8 + i + 3 * k, 8,
                            java.awt.image.BufferedImage.TYPE_INT_RGB);
                    Path file = root.resolve(split).resolve(k == 0 ? first : second).resolve("img" + k + i + ".png");
                    Files.createDirectories(file.getParent());
                    javax.imageio.ImageIO.write(img, "png", file.toFile());
                }
            }
        }
        return root;
    }

    private static DataKey key(Path folder, int subset) throws IOException {
        try (DataSource data = DataSource.open(DataSpec.parse(folder.toString()), folder, 16, subset, 42, 1, false)) {
            return data.key(42);
        }
    }

    /**
     * Two folders named {@code digits}, the second with its class folders swapped, are two datasets: the store never
     * hands one's model to the other. The first moved and renamed is the same dataset, and finds its model.
     */
    @Test
    void theStoreKeysModelsByWhatTheDataIsNotByItsFolderName(@TempDir Path dir) throws IOException {
        Path one = digits(dir.resolve("a"), "digit0", "digit1");
        Path swapped = digits(dir.resolve("b"), "digit1", "digit0"); // digit0's images are in digit1 and back
        DataKey first = key(one, 0);
        DataKey second = key(swapped, 0);
        assertEquals(List.of("digit0", "digit1"), first.classes());
        assertEquals(first.classes(), second.classes(), "the same class names in the same order");
        assertNotEquals(first.contentSha256(), second.contentSha256());
        assertNotEquals(first, second);

        Path zip = Files.writeString(dir.resolve("model.zip"), "a trained model");
        ModelStore store = new ModelStore(dir.resolve("home"));
        Path published = store.publish(zip.toFile(), first, "digits", "resnet8", 1.0);
        assertTrue(published.getParent().getFileName().toString().startsWith("digits-"), published.toString());
        assertEquals(published.toFile(), store.find(first, "resnet8", 1.0));
        assertNull(store.find(second, "resnet8", 1.0), "the swapped folder never gets the first one's model");
        assertNull(store.find(key(one, 4), "resnet8", 1.0), "nor does a training subset of it");

        Path moved = Files.move(one.getParent(), dir.resolve("elsewhere"));
        Path renamed = Files.move(moved.resolve("digits"), moved.resolve("numbers"));
        assertEquals(first, key(renamed, 0), "the same folder moved and renamed is the same data");
        assertEquals(published.toFile(), store.find(key(renamed, 0), "resnet8", 1.0));
        Path other = store.publish(zip.toFile(), second, "digits", "resnet8", 1.0);
        assertNotEquals(published.getParent(), other.getParent(), "each dataset has its own entry");
    }

    /** An entry without its key record (a store written before keys) is never used. */
    @Test
    void anEntryWithoutItsKeyIsNeverUsed(@TempDir Path dir) throws IOException {
        DataKey key = new DataKey(List.of("a", "b"), "00", 0, 0, new org.apprentice.model.InputShape(1, 8, 8));
        ModelStore store = new ModelStore(dir);
        Path published = store.publish(Files.writeString(dir.resolve("m.zip"), "m").toFile(), key, "x", "resnet8", 1.0);
        assertEquals(published.toFile(), store.find(key, "resnet8", 1.0));
        Files.delete(published.resolveSibling(ModelStore.KEY_FILE));
        assertNull(store.find(key, "resnet8", 1.0));
    }
}
