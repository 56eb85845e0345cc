package org.apprentice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.apprentice.cli.Main;
import org.apprentice.data.DataSource;
import org.apprentice.data.DataSpec;
import org.apprentice.data.FashionMnist;
import org.apprentice.export.OnnxExport;
import org.apprentice.model.ModelFiles;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The Java API and {@code predict} on the user's own image files: the study's committed full-precision resnet8 and its
 * ONNX export classify Fashion-MNIST test images saved as PNG files as DL4J does on the same images in memory, from
 * any thread; a file that is not an image is named and skipped.
 */
class ClassifierTest {
    @TempDir
    static Path dir;

    /** The study's committed full-precision resnet8 (trained before zips recorded their normalization). */
    private static final Path COMMITTED = Path.of("resnets", "results", "fashion-mnist", "resnet8-fp32", "student.zip");
    /** Its copy with the normalization it was trained with recorded, as every zip written today records it. */
    private static Path MODEL;
    private static final int IMAGES = 20;
    private static List<Path> pngs = new ArrayList<>();
    private static int[] dl4jTop1 = new int[IMAGES];
    /**
     * Images whose two most probable classes DL4J scores within 1e-4 of each other: another runtime, or the same one
     * on pixels read back from a file, may order those two either way (a tie), so their top-1 is not compared.
     */
    private static boolean[] nearTie = new boolean[IMAGES];
    private static List<String> classNames;

    /** The first test images as 8-bit grey PNG files, and DL4J's top-1 for each (the pixels are exactly the file's). */
    @BeforeAll
    static void images() throws Exception {
        MODEL = dir.resolve("resnet8-fp32.zip");
        Files.copy(COMMITTED, MODEL);
        org.deeplearning4j.util.ModelSerializer.addObjectToFile(MODEL.toFile(), ModelFiles.NORMALIZATION_ENTRY,
                FashionMnist.NORMALIZATION.toString());
        ComputationGraph net = ModelFiles.load(MODEL.toFile(), "model");
        try (DataSource data = DataSource.open(DataSpec.FASHION_MNIST, dir, 28, 10, 42, 1, false)) {
            classNames = data.classNames();
            DataSet batch = data.test(IMAGES).next();
            INDArray features = batch.getFeatures();
            INDArray pixels = features.mul(FashionMnist.NORMALIZATION.std()[0]).addi(FashionMnist.NORMALIZATION.mean()[0]);
            INDArray scores = net.output(false, features)[0];
            for (int i = 0; i < IMAGES; i++) {
                BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int v = (int) Math.round(255 * pixels.getDouble(i, 0, y, x));
                        image.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, v)));
                    }
                }
                Path png = dir.resolve(String.format("image-%02d.png", i));
                ImageIO.write(image, "png", png.toFile());
                pngs.add(png);
                dl4jTop1[i] = scores.getRow(i).argMax().getInt(0);
                double[] p = scores.getRow(i).toDoubleVector();
                java.util.Arrays.sort(p);
                nearTie[i] = p[p.length - 1] - p[p.length - 2] < 1e-4;
            }
        }
    }

    @Test
    void aZipAndItsOnnxExportClassifyImageFilesAsDl4jDoes() throws Exception {
        int ties = 0;
        for (boolean t : nearTie) {
            ties += t ? 1 : 0;
        }
        assertTrue(ties < IMAGES / 2, ties + " of " + IMAGES + " images are near-ties: the comparison would say little");
        File onnx = dir.resolve("resnet8.onnx").toFile();
        OnnxExport.write(ModelFiles.load(MODEL.toFile(), "model"), ModelFiles.recordedData(MODEL.toFile()), onnx);
        for (File file : List.of(MODEL.toFile(), onnx)) {
            try (Classifier model = Classifier.open(file)) {
                assertEquals(classNames, model.classNames(), file.toString());
                for (int i = 0; i < IMAGES; i++) {
                    List<Prediction> top = model.classify(pngs.get(i), 3);
                    assertEquals(3, top.size());
                    if (!nearTie[i]) {
                        assertEquals(dl4jTop1[i], top.get(0).index(), file + ", image " + i + ": " + top);
                    }
                    assertEquals(classNames.get(top.get(0).index()), top.get(0).label());
                    assertTrue(top.get(0).probability() >= top.get(1).probability()
                            && top.get(1).probability() >= top.get(2).probability(), top.toString());
                }
            }
        }
    }

    @Test
    void oneClassifierServesManyThreads() throws Exception {
        File onnx = dir.resolve("threads.onnx").toFile();
        OnnxExport.write(ModelFiles.load(MODEL.toFile(), "model"), ModelFiles.recordedData(MODEL.toFile()), onnx);
        for (File file : List.of(MODEL.toFile(), onnx)) {
            try (Classifier model = Classifier.open(file)) {
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<Integer>> answers = new ArrayList<>();
                    for (int k = 0; k < 4 * IMAGES; k++) {
                        int i = k % IMAGES;
                        BufferedImage image = ImageIO.read(pngs.get(i).toFile());
                        answers.add(pool.submit(() -> model.classify(image, 1).get(0).index()));
                    }
                    for (int k = 0; k < answers.size(); k++) {
                        // every thread gets the answer one thread gets (the same input, the same model)
                        assertEquals(model.classify(ImageIO.read(pngs.get(k % IMAGES).toFile()), 1).get(0).index(),
                                answers.get(k).get(), file + ", request " + k);
                        if (!nearTie[k % IMAGES]) {
                            assertEquals(dl4jTop1[k % IMAGES], answers.get(k).get(), file + ", request " + k);
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    void predictPrintsOneLinePerImageAndSkipsABadOneByName() throws Exception {
        Path folder = dir.resolve("mixed");
        Files.createDirectories(folder);
        Files.copy(pngs.get(0), folder.resolve("a.png"));
        Files.copy(pngs.get(1), folder.resolve("b.png"));
        Files.writeString(folder.resolve("broken.png"), "not an image");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"predict", "--model", MODEL.toString(), "--top", "2", folder.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString());
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith(folder.resolve("a.png") + ": "), lines.get(0));
        if (!nearTie[0]) {
            assertTrue(lines.get(0).startsWith(folder.resolve("a.png") + ": " + classNames.get(dl4jTop1[0]) + " "),
                    lines.get(0));
        }
        assertEquals(2, lines.get(0).split(", ").length, lines.get(0));
        assertTrue(err.toString().contains("skipped " + folder.resolve("broken.png")), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());

        out.reset();
        assertEquals(0, Main.run(new String[] {"predict", "--model", MODEL.toString(), "--csv", "--top", "1",
                pngs.get(0).toString(), pngs.get(1).toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        List<String> csv = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of("image", "class1", "probability1"), List.of(csv.get(0).split(",")));
        assertEquals(3, csv.size(), out.toString());
        if (!nearTie[1]) {
            assertEquals(classNames.get(dl4jTop1[1]), csv.get(2).split(",")[1]);
        }
    }

    @Test
    void aFileFromElsewhereThatRecordsNoNormalizationIsRefusedByName() throws Exception {
        IllegalArgumentException old = assertThrows(IllegalArgumentException.class,
                () -> Classifier.open(COMMITTED.toFile()));
        assertTrue(old.getMessage().contains(COMMITTED + " records no normalization"), old.getMessage());
        Path file = org.apprentice.testing.TorchGolden.FIXTURES.resolve("resnet8.onnx"); // torch.onnx.export's
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classifier.open(file.toFile()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("record"), e.getMessage());
    }
}
