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
import org.apprentice.model.ModelFiles;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/** {@code apprentice eval}: top-1, top-5 and per-class accuracy of a model on a data set's test split. */
@Parameters(commandDescription = "Evaluate a model zip (or .packed file): top-1, top-5 and per-class accuracy on the test split")
final class EvalCommand {
    @Parameter(names = "--model", description = "A model zip (train/export output) or a .packed file", required = true)
    File model;

    @ParametersDelegate
    DataOptions dataOptions = new DataOptions();

    @Parameter(names = "--batch", description = "Minibatch size")
    int batch = 128;

    int run(Path home, PrintStream out) {
        ComputationGraph net = model.getName().endsWith(".packed") ? PackedModel.read(model) : ModelFiles.load(model, "model");
        DataSource source = DataSource.open(dataOptions.spec(), home, dataOptions.imageSize, 0, 42, dataOptions.workers, false);
        List<String> names = ModelFiles.recordedClasses(model);
        if (names == null) {
            names = source.classNames();
        }
        Evaluation evaluation = new Evaluation(names, Math.min(5, names.size()));
        DataSetIterator test = source.test(batch);
        net.doEvaluation(test, evaluation);
        out.printf("%s on %s: %s%n", model, source.description(), new Accuracy(evaluation.accuracy(),
                evaluation.topNAccuracy(), evaluation.getNumRowCounter()));
        out.printf("%-20s %10s %10s%n", "class", "accuracy", "images");
        for (int c = 0; c < names.size(); c++) {
            int total = evaluation.getConfusionMatrix().getActualTotal(c);
            int correct = evaluation.getConfusionMatrix().getCount(c, c);
            out.printf("%-20s %9.2f%% %10d%n", names.get(c), total == 0 ? 0.0 : 100.0 * correct / total, total);
        }
        return 0;
    }
}
