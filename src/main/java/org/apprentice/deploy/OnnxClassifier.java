package org.apprentice.deploy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.File;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.apprentice.model.pretrained.Pretrained;

/**
 * An ONNX file run by ONNX Runtime (its Java API): Apprentice's exports, the integer one included, and ResNets from
 * elsewhere. An export takes pixels and normalizes them in its graph; another file takes normalized input, prepared
 * with the normalization its metadata records. ONNX Runtime's sessions are thread-safe, so one instance serves many
 * threads.
 */
public final class OnnxClassifier implements Classifier {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String input;
    private final String output;
    private final boolean probabilitiesOut;
    private final boolean pixels;
    private final Normalization normalization;
    private final InputShape shape;
    private final List<String> classNames;

    private OnnxClassifier(File file, OrtSession session, DataRecord data, boolean pixels) throws OrtException {
        this.session = session;
        this.input = session.getInputNames().iterator().next();
        this.probabilitiesOut = session.getOutputNames().contains(org.apprentice.export.OnnxExport.PROBABILITIES);
        this.output = probabilitiesOut ? org.apprentice.export.OnnxExport.PROBABILITIES
                : session.getOutputNames().iterator().next();
        this.pixels = pixels;
        this.normalization = data.normalization();
        this.shape = data.input();
        int classes = (int) ((ai.onnxruntime.TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape()[1];
        this.classNames = Classifier.namesOrIndices(data.classNames(), classes);
        if (classNames.size() != classes) {
            throw new IllegalArgumentException(file + " names " + classNames.size() + " classes but gives " + classes
                    + " scores");
        }
    }

    /** Opens {@code file}; one-line errors name it (not ONNX, no input size, no normalization for a foreign file). */
    public static OnnxClassifier open(File file) {
        return open(file, null, null);
    }

    /**
     * Opens {@code file}, taking {@code input} and {@code normalization} (the data's, when a file from elsewhere records
     * neither; each may be null) where the file records none.
     */
    public static OnnxClassifier open(File file, InputShape input, Normalization normalization) {
        if (!file.isFile()) {
            throw new IllegalArgumentException("--model " + file + " does not exist");
        }
        DataRecord recorded = ModelFiles.recordedData(file);
        DataRecord data = new DataRecord(recorded.classNames(), recorded.input() != null ? recorded.input() : input,
                recorded.normalization() != null ? recorded.normalization() : normalization);
        boolean pixels = Pretrained.takesPixels(file);
        if (data.input() == null) {
            throw new IllegalArgumentException(file + " records no input size (metadata input_shape)");
        }
        if (!pixels && data.normalization() == null) {
            throw new IllegalArgumentException(file + " takes normalized input but records no normalization (metadata "
                    + Pretrained.NORMALIZATION_METADATA + "), so its input cannot be prepared");
        }
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            // ONNX Runtime's warnings (initializers its optimizer drops, ...) are not the user's to read
            options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            try {
                return new OnnxClassifier(file, OrtEnvironment.getEnvironment().createSession(file.getPath(), options),
                        data, pixels);
            } finally {
                options.close(); // the session keeps what it needs
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException(file + " cannot be run by ONNX Runtime: " + e.getMessage().lines()
                    .findFirst().orElse(""));
        }
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public InputShape input() {
        return shape;
    }

    /** Whether the file takes pixels in [0, 1] (an Apprentice export) rather than normalized input. */
    public boolean takesPixels() {
        return pixels;
    }

    @Override
    public float[][] probabilities(float[] images, int batch) {
        float[][] scores = run(pixels ? images : normalized(images, batch), batch);
        if (!probabilitiesOut) {
            for (float[] row : scores) {
                softmax(row);
            }
        }
        return scores;
    }

    /**
     * The file's raw output rows for input exactly as the file takes it (pixels for an export, normalized values
     * otherwise); {@link #probabilities} prepares that input from pixels.
     */
    public float[][] run(float[] in, int batch) {
        long[] dims = {batch, shape.channels(), shape.height(), shape.width()};
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), dims);
             OrtSession.Result result = session.run(Map.of(input, tensor), java.util.Set.of(output))) {
            return (float[][]) result.get(0).getValue();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    private float[] normalized(float[] images, int batch) {
        float[] out = images.clone();
        int plane = shape.height() * shape.width();
        for (int i = 0; i < out.length; i++) {
            int c = (i / plane) % shape.channels();
            out[i] = (float) normalization.apply(out[i], c);
        }
        return out;
    }

    static void softmax(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) Math.exp(row[i] - max);
            sum += row[i];
        }
        for (int i = 0; i < row.length; i++) {
            row[i] /= (float) sum;
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
