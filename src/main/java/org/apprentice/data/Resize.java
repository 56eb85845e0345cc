package org.apprentice.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.image.ResizeBilinear;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Resizes each minibatch of in-memory images (NCHW) to {@code size x size}, bilinear with half-pixel
 * centres (as {@code torch.nn.functional.interpolate(..., mode="bilinear", align_corners=False)}), so that
 * a network sized for another input (an ImageNet-shape ResNet on 28x28 Fashion-MNIST) runs on the data.
 * Per minibatch: the whole split at 224x224 would not fit in memory.
 */
final class Resize implements DataSetPreProcessor {
    private static final long serialVersionUID = 1L;
    private final int size;

    Resize(int size) {
        this.size = size;
    }

    @Override
    public void preProcess(DataSet batch) {
        batch.setFeatures(resize(batch.getFeatures(), size));
    }

    static INDArray resize(INDArray nchw, int size) {
        if (nchw.size(2) == size && nchw.size(3) == size) {
            return nchw;
        }
        INDArray nhwc = nchw.permute(0, 2, 3, 1).dup('c');
        INDArray resized = Nd4j.create(nchw.dataType(), nchw.size(0), size, size, nchw.size(1));
        Nd4j.exec(new ResizeBilinear(nhwc, resized, size, size, false, true)); // M2.1 needs the output given
        return resized.permute(0, 3, 1, 2).dup('c');
    }
}
