package org.apprentice.kd;

import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The minibatches of another iterator with the labels the student trains on (one-hot, or one-hot and
 * the teacher's logits), made on the consumer's thread as each minibatch is taken.
 */
final class LabelledBatches implements DataSetIterator {
    private final DataSetIterator source;
    private final UnaryOperator<org.nd4j.linalg.dataset.api.DataSet> label;

    LabelledBatches(DataSetIterator source, UnaryOperator<org.nd4j.linalg.dataset.api.DataSet> label) {
        this.source = source;
        this.label = label;
    }

    @Override
    public DataSet next() {
        org.nd4j.linalg.dataset.api.DataSet labelled = label.apply(source.next());
        return new DataSet(labelled.getFeatures(), labelled.getLabels());
    }

    @Override
    public DataSet next(int num) {
        throw new UnsupportedOperationException("minibatches come at the source's size");
    }

    @Override
    public boolean hasNext() {
        return source.hasNext();
    }

    @Override
    public int inputColumns() {
        return source.inputColumns();
    }

    @Override
    public int totalOutcomes() {
        return source.totalOutcomes();
    }

    @Override
    public boolean resetSupported() {
        return source.resetSupported();
    }

    @Override
    public boolean asyncSupported() {
        return false; // the teacher runs where the minibatch is taken, not in a prefetch thread
    }

    @Override
    public void reset() {
        source.reset();
    }

    @Override
    public int batch() {
        return source.batch();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        throw new UnsupportedOperationException("preprocess the source iterator");
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return null;
    }

    @Override
    public List<String> getLabels() {
        return source.getLabels();
    }
}
