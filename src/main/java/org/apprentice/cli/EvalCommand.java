package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import com.beust.jcommander.ParametersDelegate;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.data.DataSource;
import org.apprentice.deploy.OnnxClassifier;
import org.apprentice.eval.Accuracy;
import org.apprentice.export.PackedModel;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code apprentice eval}: top-1, top-5 and per-class accuracy of a model on a data set's test split, at the
 * input size the model records (the size it was trained at).
 */
@Parameters(commandDescription = "Evaluate a model (zip, .packed, or .onnx through ONNX Runtime, the integer export included): top-1, top-5 and per-class accuracy on the test split")
final class EvalCommand {
    @Parameter(names = "--model", description = "A model zip (train/export output), a .packed file, or a PyTorch ResNet as .safetensors or .onnx", required = true)
    File model;

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = 128;

    int run(Path home, PrintStream out) {
        if (model.getName().endsWith(".onnx")) {
            return runOnnx(home, out);
        }
        boolean packed = model.getName().endsWith(".packed");
        ComputationGraph net = packed ? PackedModel.read(model) : ModelFiles.load(model, "--model");
        DataRecord recordedData = packed ? PackedModel.recordedData(model) : ModelFiles.recordedData(model);
        InputShape recorded = recordedData.input();
        List<String> names = recordedData.classNames();
        try (DataSource source = DataSource.open(dataOptions.spec(), home, imageSize(recorded), 0, 42,
                dataOptions.workers, false, dataOptions.classes())) {
            normalisedAsTrained(source, recordedData);
            source.requireMinibatchFits(batch, dataOptions.imageSize != null ? "--image-size " + dataOptions.imageSize
                    : "the input size " + source.shape() + " that --model " + model + " records");
            int classes = source.classes();
            ModelFiles.requireFits(net, model, recordedData, classes, new DataRecord(source.classNames(), source.shape(),
                    source.normalization()), "--data " + dataOptions.data);
            if (names == null) {
                names = source.classNames();
            }
            print(out, Accuracy.report(net, source.test(batch), classes), source, names, "");
        }
        return 0;
    }

    /**
     * An ONNX file, run by ONNX Runtime: Apprentice's exports (the integer one included) take pixels, so the data's
     * normalized images go back to pixels for them; a file from elsewhere takes them normalized. The file's class
     * names, input size and normalization, where it records them, must be the data's.
     */
    private int runOnnx(Path home, PrintStream out) {
        DataRecord recordedData = ModelFiles.recordedData(model);
        try (DataSource source = normalisedAsTrained(DataSource.open(dataOptions.spec(), home,
                imageSize(recordedData.input()), 0, 42, dataOptions.workers, false, dataOptions.classes()), recordedData);
             OnnxClassifier onnx = OnnxClassifier.open(model, source.shape(), source.normalization())) {
            source.requireMinibatchFits(batch, "the input size " + source.shape());
            int classes = source.classes();
            if (onnx.classNames().size() != classes) {
                throw new IllegalArgumentException("--model " + model + " has " + onnx.classNames().size()
                        + " classes, --data " + dataOptions.data + " has " + classes);
            }
            if (recordedData.classNames() != null && !recordedData.classNames().equals(source.classNames())) {
                throw new IllegalArgumentException("--model " + model + " was trained on classes "
                        + recordedData.classNames() + ", --data " + dataOptions.data + " has " + source.classNames());
            }
            if (recordedData.normalization() != null && !recordedData.normalization().equals(source.normalization())) {
                throw new IllegalArgumentException("--model " + model + " was trained on input normalized as "
                        + recordedData.normalization() + ", --data " + dataOptions.data + " is normalized as "
                        + source.normalization());
            }
            org.apprentice.model.Normalization data = source.normalization();
            Accuracy.Report report = Accuracy.report(features -> {
                INDArray in = onnx.takesPixels() ? data.pixels(features) : features;
                float[][] scores = onnx.run(in.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data()
                        .asFloat(), (int) features.size(0));
                return org.nd4j.linalg.factory.Nd4j.create(scores);
            }, source.test(batch), classes);
            print(out, report, source, onnx.classNames(), " (ONNX Runtime" + (onnx.takesPixels() ? ", pixels in [0, 1]"
                    : "") + ")");
        }
        return 0;
    }

    private void print(PrintStream out, Accuracy.Report report, DataSource source, List<String> names, String how) {
        out.printf("%s on %s%s: %s%n", model, source.description(), how, report.accuracy());
        out.printf("%-20s %10s %10s%n", "class", "accuracy", "images");
        for (int c = 0; c < names.size(); c++) {
            long total = report.examplesPerClass()[c];
            out.printf("%-20s %9.2f%% %10d%n", names.get(c), total == 0 ? 0.0 : 100.0 * report.correctPerClass()[c]
                    / total, total);
        }
    }

    /**
     * {@code source}'s images normalised as the model was trained, where it records a normalization (a model fine-tuned
     * from a file keeps that file's); refused in one line when its channels are not the images'.
     */
    private DataSource normalisedAsTrained(DataSource source, DataRecord recorded) {
        if (recorded.normalization() != null) {
            try {
                source.renormalize(recorded.normalization(), "--model " + model);
            } catch (RuntimeException e) {
                source.close();
                throw e;
            }
        }
        return source;
    }

    /** The model's recorded input size; a contradicting --image-size is refused. */
    private Integer imageSize(InputShape recorded) {
        Integer given = dataOptions.imageSize;
        if (recorded == null) { // a model saved before sizes were recorded: the data's own size, else 224
            int stored = dataOptions.spec().storedSize();
            return given != null ? given : stored > 0 ? stored : 224;
        }
        if (given != null && given != recorded.height()) {
            throw new IllegalArgumentException("--image-size " + given + " contradicts --model " + model
                    + ", which was trained at " + recorded.height() + "x" + recorded.width()
                    + "; leave --image-size out");
        }
        return recorded.height();
    }
}
