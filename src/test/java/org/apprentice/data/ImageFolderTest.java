package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The ImageNet-style folder pipeline on small generated folders: labels, shapes, values, seeds, bad input. */
class ImageFolderTest {
    @TempDir
    Path root;

    /** Left half white, right half black: a horizontal flip swaps them. */
    private static BufferedImage halves(int w, int h, int type, boolean leftRight) {
        BufferedImage image = new BufferedImage(w, h, type);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        if (leftRight) {
            g.fillRect(0, 0, w / 2, h);
        } else {
            g.fillRect(0, 0, w, h / 2);
        }
        g.dispose();
        return image;
    }

    private static void write(BufferedImage image, String format, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(image, format, file.toFile()), "no writer for " + format);
    }

    /** train/{cat,dog} and val/{cat,dog}: PNG and JPEG, several sizes, a grayscale and an RGBA image. */
    private void standardFolders() throws IOException {
        for (String split : List.of("train", "val")) {
            Path s = root.resolve(split);
            write(halves(40, 30, BufferedImage.TYPE_INT_RGB, true), "png", s.resolve("cat/a.png"));
            write(halves(64, 48, BufferedImage.TYPE_INT_RGB, true), "jpg", s.resolve("cat/b.jpg"));
            write(halves(33, 57, BufferedImage.TYPE_BYTE_GRAY, true), "png", s.resolve("dog/gray.png"));
            write(halves(50, 50, BufferedImage.TYPE_INT_ARGB, true), "png", s.resolve("dog/rgba.png"));
            write(halves(20, 36, BufferedImage.TYPE_INT_RGB, true), "jpg", s.resolve("dog/small.jpg"));
        }
    }

    private static final double[] MIN = new double[3];
    private static final double[] MAX = new double[3];

    static {
        for (int c = 0; c < 3; c++) {
            MIN[c] = (0 - org.apprentice.model.Normalization.IMAGENET.mean()[c]) / org.apprentice.model.Normalization.IMAGENET.std()[c];
            MAX[c] = (1 - org.apprentice.model.Normalization.IMAGENET.mean()[c]) / org.apprentice.model.Normalization.IMAGENET.std()[c];
        }
    }

    @Test
    void labelsShapesAndNormalisedValues() throws IOException {
        standardFolders();
        ImageFolder train = ImageFolder.scan(root, "train");
        ImageFolder val = ImageFolder.scan(root, "val");
        ImageFolder.requireSameClasses(train, val);
        assertEquals(List.of("cat", "dog"), train.classes());
        assertEquals(5, train.samples().size());
        assertEquals(List.of(0, 0, 1, 1, 1), train.samples().stream().map(ImageFolder.Sample::label).toList());
        ImageFolder two = train.subset(2, 5);
        assertEquals(List.of(0, 1), two.samples().stream().map(ImageFolder.Sample::label).toList());
        assertEquals(two, train.subset(2, 5));

        ImageFolderIterator it = new ImageFolderIterator(val, 24, false, 5, 2, 1, false);
        DataSet batch = it.next();
        assertArrayEquals(new long[] {5, 3, 24, 24}, batch.getFeatures().shape());
        assertEquals(batch.getLabels().getRow(0).argMax().getInt(0), 0);
        assertEquals(batch.getLabels().getRow(4).argMax().getInt(0), 1);
        for (int c = 0; c < 3; c++) {
            INDArray channel = batch.getFeatures().get(NDArrayIndex.all(), NDArrayIndex.point(c));
            assertTrue(channel.minNumber().doubleValue() >= MIN[c] - 1e-4, "channel " + c);
            assertTrue(channel.maxNumber().doubleValue() <= MAX[c] + 1e-4, "channel " + c);
        }
        // the grayscale image became three equal channels (before normalisation)
        INDArray gray = batch.getFeatures().slice(2);
        INDArray r = gray.get(NDArrayIndex.point(0)).mul(org.apprentice.model.Normalization.IMAGENET.std()[0]).add(org.apprentice.model.Normalization.IMAGENET.mean()[0]);
        INDArray b = gray.get(NDArrayIndex.point(2)).mul(org.apprentice.model.Normalization.IMAGENET.std()[2]).add(org.apprentice.model.Normalization.IMAGENET.mean()[2]);
        assertTrue(r.equalsWithEps(b, 1e-4));
        // evaluation geometry is deterministic: the white left half stays left
        assertTrue(leftMinusRight(batch.getFeatures().slice(0)) > 0);
    }

    private static double leftMinusRight(INDArray chw) {
        long w = chw.size(2);
        return chw.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, w / 2)).meanNumber().doubleValue()
                - chw.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(w / 2, w)).meanNumber().doubleValue();
    }

    private static double topMinusBottom(INDArray chw) {
        long h = chw.size(1);
        return chw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h / 2), NDArrayIndex.all()).meanNumber().doubleValue()
                - chw.get(NDArrayIndex.all(), NDArrayIndex.interval(h / 2, h), NDArrayIndex.all()).meanNumber().doubleValue();
    }

    @Test
    void trainingFlipsOnlyHorizontally() throws IOException {
        Path lr = root.resolve("lr.png");
        Path tb = root.resolve("tb.png");
        write(halves(64, 64, BufferedImage.TYPE_INT_RGB, true), "png", lr);
        write(halves(64, 64, BufferedImage.TYPE_INT_RGB, false), "png", tb);
        ImageDecoder decoder = new ImageDecoder(32, org.apprentice.model.Normalization.IMAGENET);
        int flipped = 0;
        int kept = 0;
        for (int i = 0; i < 60; i++) {
            double d = leftMinusRight(decoder.decode(lr, new Random(i)));
            flipped += d < -0.1 ? 1 : 0;
            kept += d > 0.1 ? 1 : 0;
            // top white, bottom black: no crop or flip may put the black half on top
            assertTrue(topMinusBottom(decoder.decode(tb, new Random(i))) > -1e-3, "vertical flip at seed " + i);
        }
        assertTrue(flipped > 5 && kept > 5, "flipped " + flipped + ", kept " + kept);
    }

    @Test
    void aSeedReproducesOrderAndAugmentation() throws IOException {
        standardFolders();
        ImageFolder train = ImageFolder.scan(root, "train");
        DataSet a = new ImageFolderIterator(train, 16, true, 5, 2, 7, false).next();
        DataSet b = new ImageFolderIterator(train, 16, true, 5, 1, 7, false).next();
        DataSet c = new ImageFolderIterator(train, 16, true, 5, 2, 8, false).next();
        assertEquals(a.getFeatures(), b.getFeatures(), "same seed, different worker counts");
        assertEquals(a.getLabels(), b.getLabels());
        assertNotEquals(a.getFeatures(), c.getFeatures());
    }

    @Test
    void badFilesAreNamedOrSkippedWhenAsked() throws IOException {
        standardFolders();
        Path cat = root.resolve("train/cat");
        Files.write(cat.resolve("empty.jpg"), new byte[0]);
        byte[] jpeg = Files.readAllBytes(cat.resolve("b.jpg"));
        Files.write(cat.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(cat.resolve("notes.txt"), "not an image");
        ImageFolder train = ImageFolder.scan(root, "train");
        assertEquals(8, train.samples().size());

        ImageFolderIterator strict = new ImageFolderIterator(train, 16, false, 8, 2, 1, false);
        IllegalStateException e = assertThrows(IllegalStateException.class, strict::next);
        assertTrue(e.getMessage().contains(cat.resolve("empty.jpg").toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());

        for (String bad : List.of("empty.jpg", "truncated.jpg", "notes.txt")) {
            IOException one = assertThrows(IOException.class, () -> ImageDecoder.read(cat.resolve(bad)));
            assertTrue(one.getMessage().startsWith(cat.resolve(bad).toString()), one.getMessage());
        }

        ImageFolderIterator lenient = new ImageFolderIterator(train, 16, false, 8, 2, 1, true);
        DataSet batch = lenient.next();
        assertEquals(5, batch.numExamples());
        assertEquals(3, lenient.skippedImages());
    }

    @Test
    void aMinibatchOfBadFilesIsFilledFromTheNextImagesAndNeverEmpty() throws IOException {
        standardFolders();
        Path cat = root.resolve("train/cat");
        // sorted order: a.png, b.jpg, c-bad.jpg, d-bad.png, then the dog images: the second minibatch of 2 is all bad
        byte[] jpeg = Files.readAllBytes(cat.resolve("b.jpg"));
        Files.write(cat.resolve("c-bad.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(cat.resolve("d-bad.png"), "<html>not a picture</html>");
        ImageFolder train = ImageFolder.scan(root, "train");
        ImageFolderIterator lenient = new ImageFolderIterator(train, 16, false, 2, 2, 1, true);
        List<Long> sizes = new java.util.ArrayList<>();
        while (lenient.hasNext()) {
            sizes.add(lenient.next().getFeatures().size(0));
        }
        assertEquals(List.of(2L, 2L, 1L), sizes, "5 good images in minibatches of 2, none empty");
        assertEquals(2, lenient.skippedImages());
        lenient.close();
    }

    @Test
    void aSplitWithNoGoodImageIsRefusedNamingIt() throws IOException {
        Path cat = root.resolve("train/cat");
        Files.createDirectories(cat);
        Files.writeString(cat.resolve("a.png"), "no");
        Files.writeString(cat.resolve("b.png"), "nor this");
        ImageFolder train = ImageFolder.scan(root, "train");
        ImageFolderIterator lenient = new ImageFolderIterator(train, 16, true, 4, 1, 1, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, lenient::hasNext);
        assertTrue(e.getMessage().contains(root.resolve("train").toString()) && e.getMessage().contains("2 bad files"),
                e.getMessage());
        lenient.close();
    }

    private static long decoderThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("image-decoder")).count();
    }

    @Test
    void epochsDoNotLeaveDecodingThreadsBehind() throws Exception {
        standardFolders();
        long before = decoderThreads();
        try (DataSource data = DataSource.open(DataSpec.parse(root.toString()), root, 16, 0, 1, 2, false)) {
            for (int epoch = 1; epoch <= 6; epoch++) {
                var it = data.train(epoch, 2, 1, org.apprentice.data.Augment.CROP_FLIP);
                while (it.hasNext()) {
                    it.next();
                }
                var test = data.test(4);
                while (test.hasNext()) {
                    test.next();
                }
            }
            // closing an iterator (as a new one replaces it) waits for its threads to end: no sleep needed
            assertTrue(decoderThreads() - before <= 4, "at most one training and one test iterator (2 workers each) "
                    + "alive, found " + (decoderThreads() - before) + " threads");
        }
        assertEquals(before, decoderThreads(), "closing the data source stops every decoding thread");
    }

    @Test
    void layoutMistakesNameTheFolder() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, "train"));
        assertTrue(e.getMessage().contains(root.resolve("train").toString()), e.getMessage());

        Files.createDirectories(root.resolve("train"));
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, "train"));
        assertTrue(e.getMessage().contains("no class folders"), e.getMessage());

        write(halves(8, 8, BufferedImage.TYPE_INT_RGB, true), "png", root.resolve("train/loose.png"));
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, "train"));
        assertTrue(e.getMessage().contains("loose.png"), e.getMessage());
        Files.delete(root.resolve("train/loose.png"));

        Files.createDirectories(root.resolve("train/cat"));
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, "train"));
        assertTrue(e.getMessage().contains(root.resolve("train/cat").toString()) && e.getMessage().contains("no images"),
                e.getMessage());

        write(halves(8, 8, BufferedImage.TYPE_INT_RGB, true), "png", root.resolve("train/cat/a.png"));
        write(halves(8, 8, BufferedImage.TYPE_INT_RGB, true), "png", root.resolve("val/dog/a.png"));
        ImageFolder train = ImageFolder.scan(root, "train");
        ImageFolder val = ImageFolder.scan(root, "val");
        e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.requireSameClasses(train, val));
        assertTrue(e.getMessage().contains("missing [cat]") && e.getMessage().contains("extra [dog]"), e.getMessage());
    }
}
