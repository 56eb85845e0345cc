package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Fashion-MNIST from the real idx files (CI installs Debian's dataset-fashion-mnist). */
class FashionMnistTest {

    private static boolean installed() {
        return FashionMnistFiles.FILES.stream()
                .allMatch(f -> FashionMnistFiles.file(FashionMnistFiles.DEBIAN_FOLDER, f).isPresent());
    }

    @Test
    void splitsHaveTheirSizesShapesAndBalancedClasses(@TempDir Path home) {
        assumeTrue(installed(), "dataset-fashion-mnist is not installed");
        DataSet train = FashionMnist.train(home, 0, 1);
        DataSet test = FashionMnist.test(home);
        assertEquals(60_000, train.numExamples());
        assertEquals(10_000, test.numExamples());
        assertArrayEquals(new long[] {10_000, 1, 28, 28}, test.getFeatures().shape());
        INDArray perClass = train.getLabels().sum(0);
        for (int c = 0; c < FashionMnist.CLASSES; c++) {
            assertEquals(6_000, perClass.getInt(c), "class " + c);
        }
        assertEquals(1_000, test.getLabels().sum(0).getInt(9));
        // standardised with the training statistics: mean about 0, std about 1
        assertEquals(0.0, train.getFeatures().meanNumber().doubleValue(), 0.01);
        assertEquals(1.0, train.getFeatures().stdNumber().doubleValue(), 0.01);
        try (var cached = Files.walk(home.resolve("datasets/.cache/fashion-mnist"))) {
            assertTrue(cached.anyMatch(p -> p.getFileName().toString().equals("train-images-idx3-ubyte")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes the test labels, each shifted by one class, gzipped, with an old modification time. */
    private static void shiftedLabels(Path file) throws Exception {
        byte[] labels;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(
                FashionMnistFiles.DEBIAN_FOLDER.resolve("t10k-labels-idx1-ubyte.gz")))) {
            labels = in.readAllBytes();
        }
        for (int i = 8; i < labels.length; i++) {
            labels[i] = (byte) ((labels[i] + 1) % 10);
        }
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(labels);
        }
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(0));
    }

    @Test
    void aChangedCopyIsReadWhateverItsModificationTime(@TempDir Path home) throws Exception {
        assumeTrue(installed(), "dataset-fashion-mnist is not installed");
        Path copy = Files.createDirectories(home.resolve("datasets/fashion-mnist"));
        for (String f : FashionMnistFiles.FILES) {
            Files.copy(FashionMnistFiles.DEBIAN_FOLDER.resolve(f + ".gz"), copy.resolve(f + ".gz"),
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        INDArray original = FashionMnist.test(home).getLabels().argMax(1);
        // a copy whose labels changed but whose time says it is older than the cache (cp -p, tar)
        shiftedLabels(copy.resolve("t10k-labels-idx1-ubyte.gz"));
        INDArray shifted = FashionMnist.test(home).getLabels().argMax(1);
        assertEquals(original.add(1).fmod(10), shifted.castTo(original.dataType()));
        // the intact Debian files still read as themselves afterwards, and no .part file is left
        for (String f : FashionMnistFiles.FILES) {
            Files.delete(copy.resolve(f + ".gz"));
        }
        assertEquals(original, FashionMnist.test(home).getLabels().argMax(1));
        try (var files = Files.walk(home.resolve("datasets/.cache"))) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".part")));
        }
    }

    @Test
    void subsetIsStratifiedAndSeeded(@TempDir Path home) {
        assumeTrue(installed(), "dataset-fashion-mnist is not installed");
        DataSet a = FashionMnist.train(home, 1000, 7);
        DataSet b = FashionMnist.train(home, 1000, 7);
        DataSet c = FashionMnist.train(home, 1000, 8);
        assertEquals(1000, a.numExamples());
        for (int k = 0; k < FashionMnist.CLASSES; k++) {
            assertEquals(100, a.getLabels().sum(0).getInt(k));
        }
        assertEquals(a.getFeatures(), b.getFeatures());
        assertTrue(!a.getFeatures().equals(c.getFeatures()));
        // a subset that cannot be stratified is the flag's own one-line error, not a file read error
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.train(home, 512, 7));
        assertEquals("--train-subset 512 is not a multiple of the 10 classes (a stratified subset keeps as many images "
                + "of each class): use 510 or 520", e.getMessage());
    }

    @Test
    void missingFilesSayHowToGetThem(@TempDir Path home) throws Exception {
        Path emptySystemFolder = Files.createDirectories(home.resolve("usr-share"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FashionMnistFiles.locate(
                java.util.List.of(home.resolve("datasets/fashion-mnist"), emptySystemFolder), home));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void filesWithAWrongHeaderAreRefusedByName(@TempDir Path home) throws Exception {
        // a project copy is preferred over the system one, and refused by name when its header is wrong
        Path folder = Files.createDirectories(home.resolve("datasets/fashion-mnist"));
        for (String f : FashionMnistFiles.FILES) {
            Files.write(folder.resolve(f), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 42});
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FashionMnist.test(home));
        assertTrue(e.getMessage().contains(folder.resolve("t10k-images-idx3-ubyte").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("2051"), e.getMessage());
    }
}
