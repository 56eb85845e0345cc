package org.apprentice.kd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apprentice.io.AtomicFiles;
import org.apprentice.io.FileErrors;
import org.apprentice.io.Sha256;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * A frozen teacher's logits for every minibatch of a training run, kept on disk so that a later run that shows the
 * same teacher the same minibatches (another temperature, scheme, student or precision, with the same seed and data)
 * reads them instead of running the teacher: the teacher's forward pass is most of what distillation adds to a step.
 * What is read is what the teacher computed, to the bit, for the same images on the same code, machine and threads,
 * which the {@link Key} holds; and each minibatch's images are checked by their SHA-256 before its logits are used (a
 * minibatch that differs runs the teacher). So a run computes the same numbers with or without the store.
 *
 * <p>Layout: {@code ROOT/KEY/key.json} (the key, in words) and {@code ROOT/KEY/epoch-N.logits}, one file per epoch:
 * for each minibatch in order, its images' digest (32 bytes), rows and columns (ints), data type (0 FLOAT, 1 DOUBLE)
 * and values, written whole and moved into place at the epoch's end; a file that cannot be read counts as absent.
 */
public final class TeacherLogitsStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAGIC = 0x41544c31; // "ATL1"
    /** More values than any minibatch's logits hold: a file that says so is not one of ours. */
    private static final long MAX_VALUES = 1L << 26;

    /**
     * What makes two runs' minibatches and teacher outputs the same: the teacher's file, the training data, the
     * stream (seed, batch, augmentation, input size), the data type, and the code, machine and threads that compute.
     */
    public record Key(String teacherSha256, String dataSha256, long seed, int batch, String augment, int imageSize,
                      String dataType, String code, String machine, int threads) {
    }

    /** One minibatch: the digest of its images and the teacher's logits for them. */
    public record Batch(byte[] digest, INDArray logits) {
    }

    private final Path dir;

    private TeacherLogitsStore(Path dir) {
        this.dir = dir;
    }

    /** The store for {@code key} under {@code root}, made when missing; one-line error when it cannot be written. */
    public static TeacherLogitsStore open(Path root, Key key) {
        try {
            String json = JSON.writeValueAsString(key);
            Path dir = root.resolve(Sha256.ofLines(List.of(json)).substring(0, 24));
            Files.createDirectories(dir);
            if (!Files.isRegularFile(dir.resolve("key.json"))) {
                AtomicFiles.writeString(dir.resolve("key.json"), json + "\n");
            }
            return new TeacherLogitsStore(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("--teacher-logits-store " + root + " cannot be written: "
                    + FileErrors.describe(e));
        }
    }

    public Path folder() {
        return dir;
    }

    /** The minibatches kept for {@code epoch}, in order; empty when none are (or the file cannot be read). */
    public List<Batch> read(int epoch) {
        Path file = file(epoch);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<Batch> batches = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                return List.of();
            }
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                batches.add(readBatch(in));
            }
            return batches;
        } catch (EOFException | IllegalArgumentException e) {
            return List.of(); // cut short or not ours: the teacher runs, and the file is written again
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps an epoch's minibatches, replacing what was kept for it. */
    public void write(int epoch, List<Batch> batches) {
        Path part = dir.resolve("epoch-" + epoch + ".logits.part" + ProcessHandle.current().pid());
        try {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(part)))) {
                out.writeInt(MAGIC);
                out.writeInt(batches.size());
                for (Batch b : batches) {
                    writeBatch(out, b);
                }
            }
            Files.move(part, file(epoch), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-256 of a minibatch's images: their shape, data type and values. */
    public static byte[] digest(INDArray x) {
        INDArray c = x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
        MessageDigest digest = Sha256.digest();
        digest.update(Arrays.toString(c.shape()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update(c.dataType().name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        ByteBuffer values = c.data().asNio().duplicate();
        values.limit((int) (c.length() * c.dataType().width()));
        digest.update(values);
        return digest.digest();
    }

    private Path file(int epoch) {
        return dir.resolve("epoch-" + epoch + ".logits");
    }

    private static void writeBatch(DataOutputStream out, Batch b) throws IOException {
        out.write(b.digest());
        INDArray z = b.logits();
        out.writeInt((int) z.size(0));
        out.writeInt((int) z.size(1));
        out.writeByte(z.dataType() == DataType.DOUBLE ? 1 : 0);
        if (z.dataType() == DataType.DOUBLE) {
            for (double v : z.dup('c').data().asDouble()) {
                out.writeDouble(v);
            }
        } else {
            for (float v : z.castTo(DataType.FLOAT).dup('c').data().asFloat()) {
                out.writeFloat(v);
            }
        }
    }

    private static Batch readBatch(DataInputStream in) throws IOException {
        byte[] digest = new byte[32];
        in.readFully(digest);
        int rows = in.readInt();
        int cols = in.readInt();
        int type = in.readByte();
        if (rows < 0 || cols < 0 || (long) rows * cols > MAX_VALUES || (type != 0 && type != 1)) {
            throw new IllegalArgumentException("not a logits file");
        }
        INDArray z;
        if (type == 1) {
            double[] v = new double[rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = in.readDouble();
            }
            z = Nd4j.createFromArray(v).reshape('c', rows, cols);
        } else {
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = in.readFloat();
            }
            z = Nd4j.createFromArray(v).reshape('c', rows, cols);
        }
        return new Batch(digest, z);
    }
}
