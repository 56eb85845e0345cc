package org.apprentice.data;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Random crop after zero padding, then a horizontal flip with probability 0.5, for in-memory images
 * ({@code [n, channels, height, width]}). Each image's crop offset and flip are drawn from a generator
 * seeded by (seed, epoch, position in the epoch's order) alone, so the same epoch gives the same images
 * whatever the minibatch size, thread count or replica count, and a resumed run sees what an
 * uninterrupted one saw. Apply to the minibatches of one epoch, in order.
 */
public final class CropFlip implements java.util.function.UnaryOperator<DataSet> {
    private final int pad;
    private final long seed;
    private final int epoch;
    private long position;

    public CropFlip(int pad, long seed, int epoch) {
        if (pad < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got " + pad);
        }
        this.pad = pad;
        this.seed = seed;
        this.epoch = epoch;
    }

    @Override
    public DataSet apply(DataSet batch) {
        INDArray x = batch.getFeatures();
        long[] shape = x.shape();
        int n = (int) shape[0];
        int channels = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        float[] in = x.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        float[] out = new float[in.length];
        for (int i = 0; i < n; i++) {
            SplittableRandom random = new SplittableRandom(mix(seed, epoch, position++));
            int dy = random.nextInt(2 * pad + 1) - pad;
            int dx = random.nextInt(2 * pad + 1) - pad;
            boolean flip = random.nextBoolean();
            transform(in, out, i * channels * h * w, channels, h, w, dy, dx, flip);
        }
        INDArray augmented = Nd4j.create(out, shape, 'c').castTo(x.dataType());
        return new org.nd4j.linalg.dataset.DataSet(augmented, batch.getLabels());
    }

    /**
     * out[c, y, x] = in[c, y + dy, x' + dx] with x' = w − 1 − x when flipped, zero outside the image: the
     * crop at offset (pad + dy, pad + dx) of the image padded by {@code pad}, then mirrored.
     */
    static void transform(float[] in, float[] out, int offset, int channels, int h, int w, int dy, int dx,
                          boolean flip) {
        for (int c = 0; c < channels; c++) {
            int plane = offset + c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                for (int xo = 0; xo < w; xo++) {
                    int sx = (flip ? w - 1 - xo : xo) + dx;
                    out[plane + y * w + xo] = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0f : in[plane + sy * w + sx];
                }
            }
        }
    }

    /** A 64-bit generator seed from the three numbers (SplitMix64's finaliser on a combination). */
    static long mix(long seed, int epoch, long position) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + position;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
