package org.apprentice.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apprentice.model.InputShape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A small seeded image-classification set for tests and benchmarks: class k is a bright square at
 * its own position on a noisy background, so a small ResNet learns it in a few epochs.
 */
public final class SyntheticImages {
    /** Synthetic intensities are made as they are fed: no normalization. */
    public static final org.apprentice.model.Normalization NORMALIZATION = org.apprentice.model.Normalization.NONE;

    /** The shape and classes of the {@code --data synthetic} set. */
    public static final InputShape SHAPE = new InputShape(1, 16, 16);
    public static final List<String> CLASS_NAMES = List.of("0", "1", "2", "3");

    private SyntheticImages() {
    }

    public static DataSet generate(InputShape shape, int classes, int examples, long seed) {
        Random random = new Random(seed);
        INDArray x = Nd4j.zeros(examples, shape.channels(), shape.height(), shape.width());
        INDArray y = Nd4j.zeros(examples, classes);
        int side = Math.max(1, Math.min(shape.height(), shape.width()) / 3);
        for (int i = 0; i < examples; i++) {
            int k = i % classes;
            y.putScalar(i, k, 1.0);
            int row = (k * 7) % Math.max(1, shape.height() - side + 1);
            int col = (k * 3) % Math.max(1, shape.width() - side + 1);
            for (int c = 0; c < shape.channels(); c++) {
                for (int h = 0; h < shape.height(); h++) {
                    for (int w = 0; w < shape.width(); w++) {
                        boolean inside = h >= row && h < row + side && w >= col && w < col + side;
                        double value = (inside ? 0.8 : 0.1) + 0.15 * random.nextGaussian();
                        x.putScalar(new long[] {i, c, h, w}, value);
                    }
                }
            }
        }
        return new DataSet(x, y);
    }

    /** A fixed-order iterator over {@code data} in minibatches of {@code batch}. */
    public static DataSetIterator iterator(DataSet data, int batch) {
        List<DataSet> examples = new ArrayList<>(data.asList());
        return new ListDataSetIterator<>(examples, batch);
    }
}
