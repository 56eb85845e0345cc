package org.apprentice.data;

import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.datavec.image.loader.NativeImageLoader;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Decodes one image file with OpenCV (as DataVec's {@code NativeImageLoader} does: JPEG, PNG, BMP, TIFF,
 * ...; grayscale, RGBA and CMYK all become 3-channel), applies the ImageNet-ResNet geometry, and returns
 * an RGB array [3, size, size] normalised per channel.
 *
 * <ul>
 *   <li>training: random resized crop (area 8%..100% of the image, aspect ratio 3/4..4/3, as torchvision),
 *       then a horizontal flip with probability 0.5;</li>
 *   <li>evaluation: resize the short side to size·256/224, then the centre size x size crop.</li>
 * </ul>
 */
public final class ImageDecoder {

    private final int size;
    private final double[] mean;
    private final double[] std;
    private final NativeImageLoader loader = new NativeImageLoader();

    public ImageDecoder(int size, org.apprentice.model.Normalization normalization) {
        this.size = size;
        this.mean = normalization.mean();
        this.std = normalization.std();
    }

    /** A file that is not a decodable image; the message names it. */
    public static final class BadImageException extends IOException {
        public BadImageException(Path file, String why) {
            super(file + ": " + why);
        }
    }

    /** Decodes, transforms and normalises; {@code random} null means evaluation geometry. */
    public INDArray decode(Path file, Random random) throws IOException {
        Mat image = read(file);
        Mat out = random != null ? randomResizedCrop(image, random) : centerCrop(image);
        if (random != null && random.nextBoolean()) {
            flip(out, out, 1); // 1: around the vertical axis, a horizontal flip only
        }
        cvtColor(out, out, COLOR_BGR2RGB);
        INDArray chw = loader.asMatrix(out).reshape(3, size, size).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        for (int c = 0; c < 3; c++) {
            chw.get(org.nd4j.linalg.indexing.NDArrayIndex.point(c)).divi(255.0).subi(mean[c]).divi(std[c]);
        }
        return chw;
    }

    /** Reads a file as 3-channel BGR; refuses empty, truncated and undecodable files by name. */
    public static Mat read(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new BadImageException(file, "cannot be read");
        }
        long length = Files.size(file);
        if (length == 0) {
            throw new BadImageException(file, "is empty (0 bytes)");
        }
        byte[] head = new byte[8];
        byte[] tail = new byte[12];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.readFully(head, 0, (int) Math.min(8, length));
            f.seek(Math.max(0, length - 12));
            f.readFully(tail, 0, (int) Math.min(12, length));
        }
        boolean jpeg = (head[0] & 0xff) == 0xFF && (head[1] & 0xff) == 0xD8;
        boolean png = (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
        if (jpeg && !((tail[10] & 0xff) == 0xFF && (tail[11] & 0xff) == 0xD9)) {
            throw new BadImageException(file, "is a truncated JPEG (no end-of-image marker)");
        }
        if (png && !(tail[4] == 'I' && tail[5] == 'E' && tail[6] == 'N' && tail[7] == 'D')) {
            throw new BadImageException(file, "is a truncated PNG (no IEND chunk)");
        }
        Mat image = imread(file.toString(), IMREAD_COLOR);
        if (image == null || image.empty() || image.channels() != 3) {
            throw new BadImageException(file, "is not an image OpenCV/DataVec can decode");
        }
        return image;
    }

    private Mat randomResizedCrop(Mat image, Random random) {
        int w = image.cols();
        int h = image.rows();
        double area = (double) w * h;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (0.08 + random.nextDouble() * 0.92);
            double ratio = Math.exp(Math.log(3.0 / 4) + random.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4)));
            int cw = (int) Math.round(Math.sqrt(target * ratio));
            int ch = (int) Math.round(Math.sqrt(target / ratio));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
                int x = random.nextInt(w - cw + 1);
                int y = random.nextInt(h - ch + 1);
                return resized(new Mat(image, new Rect(x, y, cw, ch)), size, size);
            }
        }
        return centerCrop(image); // fallback, as torchvision
    }

    private Mat centerCrop(Mat image) {
        int shortSide = Math.max(size, (int) Math.round(size * 256.0 / 224));
        int w = image.cols();
        int h = image.rows();
        int nw = w <= h ? shortSide : (int) Math.round((double) w * shortSide / h);
        int nh = w <= h ? (int) Math.round((double) h * shortSide / w) : shortSide;
        Mat scaled = resized(image, Math.max(nw, size), Math.max(nh, size));
        int x = (scaled.cols() - size) / 2;
        int y = (scaled.rows() - size) / 2;
        return new Mat(scaled, new Rect(x, y, size, size)).clone();
    }

    private static Mat resized(Mat image, int width, int height) {
        Mat out = new Mat();
        boolean shrinking = width < image.cols() && height < image.rows();
        resize(image, out, new Size(width, height), 0, 0, shrinking ? INTER_AREA : INTER_LINEAR);
        return out;
    }
}
