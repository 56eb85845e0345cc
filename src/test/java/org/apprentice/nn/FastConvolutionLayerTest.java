package org.apprentice.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.junit.jupiter.api.Test;

/**
 * Which backward route a convolution takes (the gradients themselves are compared with DL4J's layer in
 * {@code FastLayersTest}, whose small network takes both routes).
 */
class FastConvolutionLayerTest {
    private static ConvolutionLayer conv(int kernel, int stride, int padding) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(padding, padding).nOut(8)
                .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Truncate)
                .build();
    }

    @Test
    void transposedRouteOnlyForStrideOneAtTheShapesWhereItMeasuredFaster() {
        assertTrue(FastConvolutionLayer.transposedBackward(conv(3, 1, 1), 3, 32, 32), "small-image stem");
        assertTrue(FastConvolutionLayer.transposedBackward(conv(3, 1, 1), 16, 32, 32), "16 channels");
        assertTrue(FastConvolutionLayer.transposedBackward(conv(3, 1, 1), 512, 7, 7), "7x7 input");
        assertFalse(FastConvolutionLayer.transposedBackward(conv(3, 1, 1), 32, 16, 16));
        assertFalse(FastConvolutionLayer.transposedBackward(conv(3, 1, 1), 64, 56, 56));
        assertFalse(FastConvolutionLayer.transposedBackward(conv(3, 2, 1), 16, 32, 32), "stride 2");
        assertFalse(FastConvolutionLayer.transposedBackward(conv(1, 2, 0), 16, 32, 32), "projection");
    }
}
