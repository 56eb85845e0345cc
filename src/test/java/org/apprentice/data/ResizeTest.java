package org.apprentice.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** In-memory images brought to a network's input size: bilinear with half-pixel centres, per channel. */
class ResizeTest {

    @Test
    void upsamplesWithHalfPixelCentresLikeTorch() {
        // a 2x2 image [[0, 1], [0, 1]] at 4x4: source columns -0.25, 0.25, 0.75, 1.25 (clamped) give
        // 0, 0.25, 0.75, 1 in every row, as torch.nn.functional.interpolate(mode="bilinear") does
        INDArray x = Nd4j.createFromArray(new float[] {0, 1, 0, 1, 5, 5, 5, 5}).reshape(1, 2, 2, 2);
        INDArray y = Resize.resize(x, 4);
        assertArrayEquals(new long[] {1, 2, 4, 4}, y.shape());
        for (int row = 0; row < 4; row++) {
            assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, y.get(
                    org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(row), org.nd4j.linalg.indexing.NDArrayIndex.all())
                    .toFloatVector(), 1e-6f);
        }
        assertEquals(5.0, y.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1)).meanNumber().doubleValue(), 1e-6, "channels stay apart");
    }

    @Test
    void imagesAtTheSizeAlreadyAreLeftAlone() {
        INDArray x = Nd4j.rand(3, 1, 28, 28);
        assertSame(x, Resize.resize(x, 28));
    }
}
