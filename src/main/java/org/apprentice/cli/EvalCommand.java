package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import com.beust.jcommander.ParametersDelegate;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.data.DataSource;
import org.apprentice.eval.Accuracy;
import org.apprentice.export.PackedModel;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * {@code apprentice eval}: top-1, top-5 and per-class accuracy of a model on a data set's test split, at the
 * input size the model records (the size it was trained at).
 */
@Parameters(commandDescription = "Evaluate a model zip (or .packed file): top-1, top-5 and per-class accuracy on the test split")
final class EvalCommand {
    @Parameter(names = "--model", description = "A model zip (train/export output), a .packed file, or a PyTorch ResNet as .safetensors or .onnx", required = true)
    File model;

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = 128;

    int run(Path home, PrintStream out) {
        boolean packed = model.getName().endsWith(".packed");
        ComputationGraph net = packed ? PackedModel.read(model) : ModelFiles.load(model, "--model");
        DataRecord recordedData = packed ? PackedModel.recordedData(model) : ModelFiles.recordedData(model);
        InputShape recorded = recordedData.input();
        List<String> names = recordedData.classNames();
        try (DataSource source = DataSource.open(dataOptions.spec(), home, imageSize(recorded), 0, 42,
                dataOptions.workers, false)) {
            source.requireMinibatchFits(batch, dataOptions.imageSize != null ? "--image-size " + dataOptions.imageSize
                    : "the input size " + source.shape() + " that --model " + model + " records");
            int classes = source.classes();
            ModelFiles.requireFits(net, model, recordedData, classes, new DataRecord(source.classNames(), source.shape(),
                    source.normalization()), "--data " + dataOptions.data);
            if (names == null) {
                names = source.classNames();
            }
            Accuracy.Report report = Accuracy.report(net, source.test(batch), classes);
            out.printf("%s on %s: %s%n", model, source.description(), report.accuracy());
            out.printf("%-20s %10s %10s%n", "class", "accuracy", "images");
            for (int c = 0; c < names.size(); c++) {
                long total = report.examplesPerClass()[c];
                out.printf("%-20s %9.2f%% %10d%n", names.get(c), total == 0 ? 0.0 : 100.0 * report.correctPerClass()[c]
                        / total, total);
            }
        }
        return 0;
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
