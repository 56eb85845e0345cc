package org.apprentice.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a model's input is prepared from pixels in [0, 1]: {@code (pixel - mean[c]) / std[c]} per channel. Every
 * model file Apprentice writes records the normalization its model was trained with, so that a file alone says how
 * to feed it, and a model is never run on data prepared another way.
 */
public record Normalization(double[] mean, double[] std) {
    /** ImageNet's statistics, which torchvision's and timm's published ResNets were trained with. */
    public static final Normalization IMAGENET = new Normalization(new double[] {0.485, 0.456, 0.406},
            new double[] {0.229, 0.224, 0.225});
    /** Pixels as they are, in [0, 1]. */
    public static final Normalization NONE = new Normalization(new double[] {0}, new double[] {1});

    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("a normalization needs one mean and one std per channel, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        for (double s : std) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("a normalization's std must be positive, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** The value one pixel in [0, 1] of channel {@code c} becomes (a single mean and std serve every channel). */
    public double apply(double pixel, int c) {
        int i = mean.length == 1 ? 0 : c;
        return (pixel - mean[i]) / std[i];
    }

    /** A batch [N, C, H, W] of pixels in [0, 1], normalized: a new array. */
    public org.nd4j.linalg.api.ndarray.INDArray normalize(org.nd4j.linalg.api.ndarray.INDArray pixels) {
        org.nd4j.linalg.api.ndarray.INDArray out = pixels.dup('c');
        for (int c = 0; c < out.size(1); c++) {
            channel(out, c).subi(mean[mean.length == 1 ? 0 : c]).divi(std[std.length == 1 ? 0 : c]);
        }
        return out;
    }

    /** A normalized batch [N, C, H, W] back to pixels in [0, 1] (to within a float rounding): a new array. */
    public org.nd4j.linalg.api.ndarray.INDArray pixels(org.nd4j.linalg.api.ndarray.INDArray normalized) {
        org.nd4j.linalg.api.ndarray.INDArray out = normalized.dup('c');
        for (int c = 0; c < out.size(1); c++) {
            channel(out, c).muli(std[std.length == 1 ? 0 : c]).addi(mean[mean.length == 1 ? 0 : c]);
        }
        return out;
    }

    private static org.nd4j.linalg.api.ndarray.INDArray channel(org.nd4j.linalg.api.ndarray.INDArray batch, int c) {
        return batch.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(c));
    }

    /** "mean=0.485,0.456,0.406 std=0.229,0.224,0.225": how files record it; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return "mean=" + join(mean) + " std=" + join(std);
    }

    /** Reads {@link #toString()}'s form; the error names the text. */
    public static Normalization parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\s+");
        if (parts.length != 2 || !parts[0].startsWith("mean=") || !parts[1].startsWith("std=")) {
            throw new IllegalArgumentException("normalization '" + text + "' is not 'mean=M1[,M2,M3] std=S1[,S2,S3]'");
        }
        try {
            return new Normalization(numbers(parts[0].substring(5)), numbers(parts[1].substring(4)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("normalization '" + text + "' is not 'mean=M1[,M2,M3] std=S1[,S2,S3]'");
        }
    }

    private static double[] numbers(String csv) {
        return Arrays.stream(csv.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    private static String join(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%s", v));
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }
}
