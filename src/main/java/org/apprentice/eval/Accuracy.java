package org.apprentice.eval;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Top-1 and top-5 accuracy of a classifier on a data split. Ties and NaN scores never count as hits
 * ({@link Ranks}); top-5 with fewer than 5 classes is top-C.
 */
public record Accuracy(double top1, double top5, long examples) {

    /** Accuracy with the counts behind it, and top-1 per class. */
    public record Report(Accuracy accuracy, long[] correctPerClass, long[] examplesPerClass) {
    }

    public static Accuracy of(ComputationGraph net, DataSetIterator data, int classes) {
        return report(net, data, classes).accuracy();
    }

    /** What gives a minibatch's class scores (a DL4J network, an ONNX Runtime session, ...). */
    @FunctionalInterface
    public interface Scorer {
        INDArray scores(INDArray features);
    }

    /** Runs {@code net} in inference mode over every minibatch of {@code data}. */
    public static Report report(ComputationGraph net, DataSetIterator data, int classes) {
        return report(features -> net.output(false, features)[0], data, classes);
    }

    /** Scores every minibatch of {@code data} with {@code scorer}. */
    public static Report report(Scorer scorer, DataSetIterator data, int classes) {
        long[] hits = new long[2];
        long[] correct = new long[classes];
        long[] total = new long[classes];
        long examples = 0;
        data.reset();
        while (data.hasNext()) {
            DataSet batch = data.next();
            INDArray scores = scorer.scores(batch.getFeatures());
            if (scores.size(1) != classes) {
                throw new IllegalArgumentException("the model gives " + scores.size(1) + " scores per image, the data has "
                        + classes + " classes");
            }
            float[][] z = scores.castTo(DataType.FLOAT).toFloatMatrix();
            int[] truth = batch.getLabels().argMax(1).toIntVector();
            for (int i = 0; i < z.length; i++) {
                int above = Ranks.above(z[i], truth[i]);
                hits[0] += above < 1 ? 1 : 0;
                hits[1] += above < 5 ? 1 : 0;
                correct[truth[i]] += above < 1 ? 1 : 0;
                total[truth[i]]++;
            }
            examples += z.length;
        }
        double n = Math.max(1, examples);
        return new Report(new Accuracy(hits[0] / n, hits[1] / n, examples), correct, total);
    }

    @Override
    public String toString() {
        return String.format("top-1 %.2f%%, top-5 %.2f%% (%d examples)", 100 * top1, 100 * top5, examples);
    }
}
