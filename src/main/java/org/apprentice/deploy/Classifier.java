package org.apprentice.deploy;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apprentice.model.InputShape;

/**
 * A trained model, loaded once, that classifies images: the Java API for embedding a student in a JVM service.
 * {@link #open} reads any model file Apprentice writes (a zip, a packed file, an ONNX file, the integer one included)
 * with what it records: class names, input size and normalization, so that an image is prepared as the model was
 * trained. Thread-safe: one instance serves concurrent requests.
 *
 * <pre>
 * try (Classifier model = Classifier.open(new File("runs/demo/scheme-c/student-int8.onnx"))) {
 *     for (Prediction p : model.classify(Path.of("shoe.png"), 3)) {
 *         System.out.println(p.label() + " " + p.probability());
 *     }
 * }
 * </pre>
 */
public interface Classifier extends AutoCloseable {

    /** The model in {@code file}: ONNX files run in ONNX Runtime, zips and packed files in DL4J. */
    static Classifier open(File file) {
        return file.getName().endsWith(".onnx") ? OnnxClassifier.open(file) : Dl4jClassifier.open(file);
    }

    /** {@code recorded} class names, or "0", "1", ... for a file that records none. */
    static List<String> namesOrIndices(List<String> recorded, int classes) {
        if (recorded != null) {
            return List.copyOf(recorded);
        }
        List<String> indices = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            indices.add(String.valueOf(c));
        }
        return List.copyOf(indices);
    }

    /** The class names, in the order of the model's outputs. */
    List<String> classNames();

    /** The input a model takes: channels, height and width. */
    InputShape input();

    /**
     * Class probabilities for a batch of images given as pixels in [0, 1], [batch · channels · height · width] floats
     * at {@link #input()}'s size; one row per image.
     */
    float[][] probabilities(float[] pixels, int batch);

    /** The {@code top} most probable classes of {@code image}, most probable first. */
    default List<Prediction> classify(BufferedImage image, int top) {
        return top(probabilities(Pixels.of(image, input()), 1)[0], top);
    }

    /** The {@code top} most probable classes of the image in {@code file}; an unreadable file is named. */
    default List<Prediction> classify(Path file, int top) throws IOException {
        return classify(Pixels.read(file), top);
    }

    /** The {@code top} classes of one row of probabilities, most probable first (ties: the lower index first). */
    default List<Prediction> top(float[] probabilities, int top) {
        List<Prediction> all = new ArrayList<>();
        for (int c = 0; c < probabilities.length; c++) {
            all.add(new Prediction(c, c < classNames().size() ? classNames().get(c) : String.valueOf(c), probabilities[c]));
        }
        all.sort(Comparator.comparingDouble(Prediction::probability).reversed().thenComparingInt(Prediction::index));
        return List.copyOf(all.subList(0, Math.min(Math.max(top, 1), all.size())));
    }

    @Override
    void close();
}
