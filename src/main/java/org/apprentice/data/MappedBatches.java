package org.apprentice.data;

import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The minibatches of another iterator, each passed through a function on the consumer's thread as it is
 * taken, in order: e.g. augmented, or given the labels a student trains on (one-hot and a teacher's logits).
 */
public final class MappedBatches implements DataSetIterator {
    private final DataSetIterator source;
    private final UnaryOperator<org.nd4j.linalg.dataset.api.DataSet> map;

    public MappedBatches(DataSetIterator source, UnaryOperator<org.nd4j.linalg.dataset.api.DataSet> map) {
        this.source = source;
        this.map = map;
    }

    @Override
    public DataSet next() {
        org.nd4j.linalg.dataset.api.DataSet mapped = map.apply(source.next());
        return new DataSet(mapped.getFeatures(), mapped.getLabels());
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
        return false; // the function runs where the minibatch is taken, not in a prefetch thread
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
