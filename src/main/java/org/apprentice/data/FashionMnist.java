package org.apprentice.data;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apprentice.io.FileErrors;
import org.apprentice.io.Sha256;
import org.apprentice.model.InputShape;
import org.deeplearning4j.datasets.mnist.MnistImageFile;
import org.deeplearning4j.datasets.mnist.MnistLabelFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes,
 * read from its idx files with DL4J's {@code MnistImageFile}/{@code MnistLabelFile} (gzipped files are
 * unpacked once into {@code datasets/.cache/}, keyed by their content). Pixels are scaled to [0, 1], then standardised with the
 * training split's mean and standard deviation.
 */
public final class FashionMnist {
    public static final int CLASSES = 10;
    public static final InputShape SHAPE = new InputShape(1, 28, 28);
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Training-split statistics of the [0, 1]-scaled pixels. */
    /** The training split's pixel mean and standard deviation, which every Fashion-MNIST image is normalised with. */
    public static final org.apprentice.model.Normalization NORMALIZATION = new org.apprentice.model.Normalization(
            new double[] {0.2860}, new double[] {0.3530});

    private FashionMnist() {
    }

    /** The training split; {@code subset > 0} keeps subset/10 images per class, chosen with {@code seed}. */
    public static DataSet train(Path home, int subset, long seed) {
        return read(home, "train", subset, seed);
    }

    /** The whole 10,000-image test split. */
    public static DataSet test(Path home) {
        return read(home, "t10k", 0, 0);
    }

    private static DataSet read(Path home, String split, int subset, long seed) {
        Idx idx = readIdx(home, split);
        List<Integer> keep = Subsets.stratified(idx.classes(), subset, seed, CLASSES); // its own one-line refusals
        float[] x = new float[keep.size() * 784];
        INDArray y = Nd4j.zeros(DataType.FLOAT, keep.size(), CLASSES);
        for (int row = 0; row < keep.size(); row++) {
            int i = keep.get(row);
            for (int p = 0; p < 784; p++) {
                x[row * 784 + p] = (float) NORMALIZATION.apply((idx.pixels()[i][p] & 0xff) / 255.0, 0);
            }
            y.putScalar(row, idx.classes()[i], 1.0);
        }
        return new DataSet(Nd4j.create(x, new long[] {keep.size(), 1, 28, 28}), y);
    }

    /** The images and labels of one split's idx files. */
    private record Idx(byte[][] pixels, int[] classes) {
    }

    private static Idx readIdx(Path home, String split) {
        Path folder = FashionMnistFiles.locate(home);
        File images = plain(home, folder, split + "-images-idx3-ubyte");
        File labels = plain(home, folder, split + "-labels-idx1-ubyte");
        try {
            MnistImageFile imageFile = new MnistImageFile(images.getPath(), "r");
            MnistLabelFile labelFile = new MnistLabelFile(labels.getPath(), "r");
            try {
                int count = imageFile.getCount();
                if (labelFile.getCount() != count || imageFile.getRows() != 28 || imageFile.getCols() != 28) {
                    throw new IllegalStateException("Fashion-MNIST files " + images + " and " + labels + " disagree: "
                            + count + " images of " + imageFile.getRows() + "x" + imageFile.getCols() + ", "
                            + labelFile.getCount() + " labels (expected 28x28 images, one label each)");
                }
                byte[][] pixels = imageFile.readImagesUnsafe(count);
                int[] classes = new int[count];
                for (int i = 0; i < count; i++) {
                    classes[i] = labelFile.readLabel();
                }
                return new Idx(pixels, classes);
            } finally {
                imageFile.close();
                labelFile.close();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalStateException) {
                throw (IllegalStateException) e;
            }
            throw new IllegalStateException("cannot read Fashion-MNIST " + images + " / " + labels
                    + " (expected idx files with magic numbers 2051 and 2049): " + e.getMessage());
        }
    }

    /**
     * The uncompressed idx file: as found, or unpacked from its .gz into {@code datasets/.cache/fashion-mnist/KEY/},
     * where KEY is a hash of the .gz's absolute path, size and content: a changed or copied file (whatever its
     * modification time) gets its own cache entry, and an interrupted unpack leaves nothing behind.
     */
    private static File plain(Path home, Path folder, String name) {
        Path direct = folder.resolve(name);
        if (Files.isRegularFile(direct)) {
            return direct.toFile();
        }
        Path gz = folder.resolve(name + ".gz");
        Path cached;
        try {
            String key = Sha256.ofLines(List.of(gz.toAbsolutePath().toString(), String.valueOf(Files.size(gz)),
                    Sha256.of(gz)));
            cached = home.resolve("datasets").resolve(".cache").resolve("fashion-mnist").resolve(key.substring(0, 16))
                    .resolve(name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + gz + ": " + FileErrors.describe(e));
        }
        if (Files.isRegularFile(cached)) {
            return cached.toFile();
        }
        Path temp = null;
        try {
            Files.createDirectories(cached.getParent());
            temp = Files.createTempFile(cached.getParent(), name, ".part");
            try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(temp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return cached.toFile();
        } catch (IOException e) {
            throw new IllegalStateException("cannot unpack " + gz + " into " + cached.getParent() + ": "
                    + FileErrors.describe(e));
        } finally {
            deleteQuietly(temp);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // a leftover .part file is harmless: it is never read
        }
    }
}
