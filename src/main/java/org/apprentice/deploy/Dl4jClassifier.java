package org.apprentice.deploy;

import java.io.File;
import java.util.List;
import org.apprentice.export.Exporter;
import org.apprentice.export.PackedModel;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.Normalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model zip or packed file run by DL4J: its deployable form (quantized weights stored, softmax head), fed pixels
 * normalized as the file records. DL4J's networks are not thread-safe, so calls are serialised.
 */
public final class Dl4jClassifier implements Classifier {
    private final ComputationGraph net;
    private final InputShape shape;
    private final Normalization normalization;
    private final List<String> classNames;

    private Dl4jClassifier(ComputationGraph net, DataRecord data, File file) {
        this.net = net;
        this.shape = data.input();
        this.normalization = data.normalization();
        long classes = net.getLayer(org.apprentice.model.ResNetBuilder.LOGITS).getParam("b").length();
        this.classNames = Classifier.namesOrIndices(data.classNames(), (int) classes);
        if (shape == null || normalization == null) {
            throw new IllegalArgumentException(file + " records no " + (shape == null ? "input size" : "normalization")
                    + " (a model saved by an earlier version): its input cannot be prepared");
        }
    }

    public static Dl4jClassifier open(File file) {
        boolean packed = file.getName().endsWith(".packed");
        if (packed) {
            return new Dl4jClassifier(PackedModel.read(file), PackedModel.recordedData(file), file);
        }
        ComputationGraph student = ModelFiles.load(file, "--model");
        return new Dl4jClassifier(Exporter.deployable(student), ModelFiles.recordedData(file), file);
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public InputShape input() {
        return shape;
    }

    @Override
    public float[][] probabilities(float[] pixels, int batch) {
        INDArray x = normalization.normalize(Nd4j.create(pixels, new long[] {batch, shape.channels(), shape.height(),
                shape.width()}, 'c'));
        synchronized (net) {
            return net.output(false, x)[0].castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatMatrix();
        }
    }

    @Override
    public void close() {
        net.close();
    }
}
