package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** The CIFAR-10 binary reader on small generated files in the real record format. */
class Cifar10Test {
    @TempDir
    Path folder;

    /** {@code records} records with labels 0, 1, 2, ...; every red byte 255, green 0, blue 128. */
    private void batchFile(String name, int records) throws IOException {
        byte[] bytes = new byte[records * 3073];
        for (int r = 0; r < records; r++) {
            int o = r * 3073;
            bytes[o] = (byte) (r % 10);
            for (int p = 0; p < 1024; p++) {
                bytes[o + 1 + p] = (byte) 255;
                bytes[o + 1 + 2048 + p] = (byte) 128;
            }
        }
        Files.write(folder.resolve(name), bytes);
    }

    private void allFiles() throws IOException {
        for (int i = 1; i <= 5; i++) {
            batchFile("data_batch_" + i + ".bin", 20);
        }
        batchFile("test_batch.bin", 10);
    }

    @Test
    void readsLabelsPlanesAndNormalises() throws IOException {
        allFiles();
        DataSet train = Cifar10.train(folder, 0, 1);
        DataSet test = Cifar10.test(folder);
        assertEquals(100, train.numExamples());
        assertArrayEquals(new long[] {10, 3, 32, 32}, test.getFeatures().shape());
        assertEquals(3, test.getLabels().getRow(3).argMax().getInt(0));
        assertEquals((1 - Cifar10.NORMALIZATION.mean()[0]) / Cifar10.NORMALIZATION.std()[0], test.getFeatures().getDouble(0, 0, 5, 7), 1e-5);
        assertEquals((0 - Cifar10.NORMALIZATION.mean()[1]) / Cifar10.NORMALIZATION.std()[1], test.getFeatures().getDouble(0, 1, 31, 0), 1e-5);
        assertEquals((128 / 255.0 - Cifar10.NORMALIZATION.mean()[2]) / Cifar10.NORMALIZATION.std()[2], test.getFeatures().getDouble(9, 2, 0, 31), 1e-5);
        DataSet subset = Cifar10.train(folder, 50, 3);
        assertEquals(50, subset.numExamples());
        assertEquals(5, subset.getLabels().sum(0).getInt(4));
    }

    @Test
    void missingAndMisSizedFilesAreNamed() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cifar10.test(folder));
        assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("missing"), e.getMessage());
        Files.write(folder.resolve("test_batch.bin"), new byte[3073 * 2 + 5]);
        e = assertThrows(IllegalArgumentException.class, () -> Cifar10.test(folder));
        assertTrue(e.getMessage().contains(folder.resolve("test_batch.bin").toString())
                && e.getMessage().contains("3073-byte records"), e.getMessage());
    }
}
