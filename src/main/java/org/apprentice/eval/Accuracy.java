package org.apprentice.eval;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/** Top-1 and top-5 accuracy of a classifier on a data split, with DL4J's {@code Evaluation}. */
public record Accuracy(double top1, double top5, long examples) {

    public static Accuracy of(ComputationGraph net, DataSetIterator data, int classes) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            labels.add(String.valueOf(i));
        }
        Evaluation evaluation = new Evaluation(labels, Math.min(5, classes));
        data.reset();
        net.doEvaluation(data, evaluation);
        return new Accuracy(evaluation.accuracy(), evaluation.topNAccuracy(), evaluation.getNumRowCounter());
    }

    @Override
    public String toString() {
        return String.format("top-1 %.2f%%, top-5 %.2f%% (%d examples)", 100 * top1, 100 * top5, examples);
    }
}
