package org.apprentice.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.model.InputShape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CIFAR-10, binary version, from a folder the user names: {@code data_batch_1.bin} .. {@code data_batch_5.bin}
 * and {@code test_batch.bin}, each 10,000 records of one label byte and 3,072 pixel bytes (the red, green
 * and blue 32x32 planes). Pixels are scaled to [0, 1] and standardised with the training statistics.
 */
public final class Cifar10 {
    public static final int CLASSES = 10;
    public static final InputShape SHAPE = new InputShape(3, 32, 32);
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");
    /** The training split's per-channel statistics, which every CIFAR-10 image is normalised with. */
    public static final org.apprentice.model.Normalization NORMALIZATION = new org.apprentice.model.Normalization(
            new double[] {0.4914, 0.4822, 0.4465}, new double[] {0.2470, 0.2435, 0.2616});
    private static final int RECORD = 1 + 3072;

    private Cifar10() {
    }

    public static DataSet train(Path folder, int subset, long seed) {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            files.add(folder.resolve("data_batch_" + i + ".bin"));
        }
        DataSet all = read(files);
        if (subset <= 0 || subset == all.numExamples()) {
            return all;
        }
        int[] classes = all.getLabels().argMax(1).toIntVector();
        List<Integer> keep = Subsets.stratified(classes, subset, seed, CLASS_NAMES.size());
        int[] rows = keep.stream().mapToInt(Integer::intValue).toArray();
        INDArray flat = all.getFeatures().reshape(all.numExamples(), 3072).getRows(rows);
        return new DataSet(flat.reshape(rows.length, 3, 32, 32), all.getLabels().getRows(rows));
    }

    public static DataSet test(Path folder) {
        return read(List.of(folder.resolve("test_batch.bin")));
    }

    static DataSet read(List<Path> files) {
        List<byte[]> contents = new ArrayList<>();
        int records = 0;
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("CIFAR-10 file " + file + " is missing (expected data_batch_1.bin"
                        + " .. data_batch_5.bin and test_batch.bin of the binary version)");
            }
            try {
                byte[] bytes = Files.readAllBytes(file);
                if (bytes.length == 0 || bytes.length % RECORD != 0) {
                    throw new IllegalArgumentException("CIFAR-10 file " + file + " has " + bytes.length
                            + " bytes, not a whole number of " + RECORD + "-byte records (1 label + 3072 pixels)");
                }
                contents.add(bytes);
                records += bytes.length / RECORD;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read CIFAR-10 file " + file + ": " + e.getMessage());
            }
        }
        float[] x = new float[records * 3072];
        INDArray y = Nd4j.zeros(DataType.FLOAT, records, CLASSES);
        int row = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] bytes = contents.get(f);
            for (int offset = 0; offset < bytes.length; offset += RECORD, row++) {
                int label = bytes[offset] & 0xff;
                if (label >= CLASSES) {
                    throw new IllegalArgumentException("CIFAR-10 file " + files.get(f) + " has label " + label
                            + " at record " + offset / RECORD + " (expected 0..9)");
                }
                y.putScalar(row, label, 1.0);
                for (int p = 0; p < 3072; p++) {
                    int channel = p / 1024;
                    x[row * 3072 + p] = (float) NORMALIZATION.apply((bytes[offset + 1 + p] & 0xff) / 255.0, channel);
                }
            }
        }
        return new DataSet(Nd4j.create(x, new long[] {records, 3, 32, 32}), y);
    }
}
