package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apprentice.deploy.Classifier;
import org.apprentice.deploy.Prediction;

/**
 * {@code apprentice predict}: the most probable classes of the user's own images, one line each, from any model file
 * ({@link Classifier}), each image prepared as the model records (its input size and normalization). An image that
 * cannot be read is named and skipped.
 */
@Parameters(commandDescription = "Classify images (files or folders of them) with a model zip, .packed or .onnx file: the top classes and their probabilities, one line per image")
final class PredictCommand {
    private static final List<String> IMAGE_SUFFIXES = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    @Parameter(names = "--model", description = "A model zip, .packed or .onnx file (the integer export included)", required = true)
    File model;

    @Parameter(names = "--top", description = "How many classes to show per image")
    int top = 3;

    @Parameter(names = "--csv", description = "Write CSV (image, then class and probability for each of the top classes)")
    boolean csv;

    @Parameter(description = "IMAGE|DIR ...", required = true)
    List<String> images = new ArrayList<>();

    int run(PrintStream out, PrintStream err) throws IOException {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be 1 or more, got " + top);
        }
        List<Path> files = new ArrayList<>();
        for (String given : images) {
            files.addAll(images(Path.of(given)));
        }
        int done = 0;
        try (Classifier classifier = Classifier.open(model)) {
            if (csv) {
                StringBuilder header = new StringBuilder("image");
                for (int k = 1; k <= top; k++) {
                    header.append(",class").append(k).append(",probability").append(k);
                }
                out.println(header);
            }
            for (Path file : files) {
                List<Prediction> predictions;
                try {
                    predictions = classifier.classify(file, top);
                } catch (IOException e) {
                    err.println("apprentice: skipped " + e.getMessage());
                    continue;
                }
                out.println(csv ? csvLine(file, predictions) : file + ": " + String.join(", ",
                        predictions.stream().map(Prediction::toString).toList()));
                done++;
            }
        }
        if (done == 0) {
            throw new IllegalArgumentException("no image could be classified (" + files.size() + " given)");
        }
        return 0;
    }

    private static String csvLine(Path file, List<Prediction> predictions) {
        StringBuilder line = new StringBuilder(quoted(file.toString()));
        for (Prediction p : predictions) {
            line.append(',').append(quoted(p.label())).append(',')
                    .append(String.format(Locale.ROOT, "%.6f", p.probability()));
        }
        return line.toString();
    }

    private static String quoted(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** A file as itself; a folder as the image files under it, sorted; a missing path refused naming it. */
    private static List<Path> images(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException(path + " is neither an image file nor a folder");
        }
        try (Stream<Path> all = Files.walk(path)) {
            return all.filter(Files::isRegularFile).filter(p -> IMAGE_SUFFIXES.stream().anyMatch(
                    s -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(s))).sorted().toList();
        }
    }
}
