package org.apprentice.deploy;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apprentice.model.InputShape;

/**
 * An image as a model's input: pixels in [0, 1], channels first (grey for one channel, RGB for three), at the model's
 * height and width: the shorter side resized to fit, then the centre cropped, as evaluation prepares an image folder.
 */
public final class Pixels {
    private Pixels() {
    }

    /** The image file, decoded (PNG, JPEG, BMP, GIF); a file that is not one is named in the error. */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is not a file");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not a readable image: " + e.getMessage());
        }
        if (image == null) {
            throw new IOException(file + " is not an image this JVM decodes (PNG, JPEG, BMP or GIF)");
        }
        return image;
    }

    /** {@code image} as [channels · height · width] floats in [0, 1] for {@code shape}. */
    public static float[] of(BufferedImage image, InputShape shape) {
        int h = shape.height();
        int w = shape.width();
        double scale = Math.max((double) h / image.getHeight(), (double) w / image.getWidth());
        int rh = Math.max(h, (int) Math.round(image.getHeight() * scale));
        int rw = Math.max(w, (int) Math.round(image.getWidth() * scale));
        BufferedImage resized = new BufferedImage(rw, rh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, rw, rh, null);
        g.dispose();
        int top = (rh - h) / 2;
        int left = (rw - w) / 2;
        int channels = shape.channels();
        float[] out = new float[channels * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = resized.getRGB(left + x, top + y);
                int r = (rgb >> 16) & 0xff;
                int gr = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (channels == 1) {
                    out[y * w + x] = (float) ((0.299 * r + 0.587 * gr + 0.114 * b) / 255.0);
                } else {
                    out[y * w + x] = r / 255f;
                    out[h * w + y * w + x] = gr / 255f;
                    out[2 * h * w + y * w + x] = b / 255f;
                }
            }
        }
        return out;
    }
}
