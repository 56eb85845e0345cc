package org.apprentice.export;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.Normalization;
import org.apprentice.quant.ArrayOps;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.apprentice.quant.WeightGrid;

/**
 * The packed low-precision file of a student: the deployable graph's configuration (DL4J JSON, gzipped), then
 * every parameter, quantized weights as their integer codes packed into {@code bits} bits each (2 for
 * ternary) plus their float32 scale(s), everything else as float32. Apprentice reads it back into a
 * graph that gives identical predictions.
 *
 * <pre>
 * "APPRENTICE-PACKED\n" | int version (3) | UTF input shape "C,H,W" or "" | int classCount (-1: none) |
 *   UTF[classCount] class names | UTF normalization ("mean=... std=...") or "" | int jsonLength | gzipped json (UTF-8) |
 *   int parameterCount |
 * per parameter: UTF name | int rank | long[rank] shape | byte kind (0 float32, 1 codes, 2 TTQ codes) |
 *   float32: float[n]  |  codes: byte bits | int scaleCount | float[scaleCount] | byte[ceil(n·bits/8)]
 *   (kind 1: value = code·scale, one scale or one per output channel; kind 2: scales W_p, W_n, value = W_p for
 *   code +1, -W_n for -1, 0 for 0)
 * </pre>
 * Version 1 files (without the input shape and class names) and version 2 files (without the normalization) are still
 * read.
 */
public final class PackedModel {
    private static final String MAGIC = "APPRENTICE-PACKED\n";
    private static final int VERSION = 3;

    /** One row of the size table. */
    public record Entry(String parameter, String encoding, long count, long fp32Bytes, long packedBytes) {
    }

    private PackedModel() {
    }

    /**
     * Writes {@code student} (its training graph) packed, atomically, with what it records about its data (the input
     * shape, class names and normalization it was trained with; each may be null); returns the per-parameter table.
     */
    public static List<Entry> write(ComputationGraph student, DataRecord data, File file) throws IOException {
        InputShape input = data.input();
        List<String> classes = data.classNames();
        ComputationGraph deployable = Exporter.deployable(student);
        List<Entry> table = new ArrayList<>();
        File parent = file.getAbsoluteFile().getParentFile();
        Files.createDirectories(parent.toPath());
        File temp = File.createTempFile(file.getName(), ".part", parent);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temp.toPath())))) {
            out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
            out.writeInt(VERSION);
            out.writeUTF(input == null ? "" : input.channels() + "," + input.height() + "," + input.width());
            out.writeInt(classes == null ? -1 : classes.size());
            for (String name : classes == null ? List.<String>of() : classes) {
                out.writeUTF(name);
            }
            out.writeUTF(data.normalization() == null ? "" : data.normalization().toString());
            byte[] json = gzip(deployable.getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(deployable.paramTable().size());
            for (Layer target : deployable.getLayers()) {
                Layer layer = student.getLayer(target.conf().getLayer().getLayerName());
                for (Map.Entry<String, INDArray> e : target.paramTable().entrySet()) {
                    table.add(writeParameter(out, layer, e.getKey(), e.getValue()));
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp.toPath());
            throw e;
        }
        Files.move(temp.toPath(), file.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return table;
    }

    /**
     * One parameter of the deployable graph: a quantized weight as its codes (fixed quantizers and LSQ: codes times
     * the scale(s); TTQ: codes with W_p for +1 and W_n for -1), anything else as float32.
     */
    private static Entry writeParameter(DataOutputStream out, Layer layer, String key, INDArray value) throws IOException {
        String name = layer.conf().getLayer().getLayerName() + "_" + key;
        out.writeUTF(name);
        out.writeInt(value.rank());
        for (long d : value.shape()) {
            out.writeLong(d);
        }
        boolean weight = layer.conf().getLayer().initializer().isWeightParam(layer.conf().getLayer(), key);
        WeightQuantization quantization = WeightQuantization.of(layer.conf().getLayer());
        if (weight && quantization != null) {
            WeightGrid grid = quantization.grid(layer);
            int kind = grid.scaling() == WeightGrid.Scaling.POSITIVE_NEGATIVE ? 2 : 1;
            return writeCodes(out, name, kind, grid.bits(), grid.codes(), grid.scales(), grid.encoding());
        }
        out.writeByte(0);
        for (float f : value.castTo(DataType.FLOAT).dup('c').data().asFloat()) {
            out.writeFloat(f);
        }
        return new Entry(name, "float32", value.length(), 4 * value.length(), 4 * value.length());
    }

    private static Entry writeCodes(DataOutputStream out, String name, int kind, int bits, INDArray codes, float[] scales,
                                    String encoding) throws IOException {
        byte[] packed = pack(codes.dup('c').data().asInt(), bits, offset(bits));
        out.writeByte(kind);
        out.writeByte(bits);
        out.writeInt(scales.length);
        for (float s : scales) {
            out.writeFloat(s);
        }
        out.write(packed);
        return new Entry(name, encoding, codes.length(), 4 * codes.length(), packed.length + 4L * scales.length);
    }

    /** Reads a packed file back into a runnable graph; a foreign or truncated file is named in one line. */
    public static ComputationGraph read(File file) {
        try (DataInputStream in = open(file)) {
            header(in, file);
            byte[] json = new byte[in.readInt()];
            in.readFully(json);
            ComputationGraph graph = new ComputationGraph(
                    ComputationGraphConfiguration.fromJson(new String(gunzip(json), StandardCharsets.UTF_8)));
            graph.init();
            Map<String, INDArray> values = new LinkedHashMap<>();
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                values.put(name, readParameter(in, name, file));
            }
            Map<String, INDArray> target = graph.paramTable();
            if (!target.keySet().equals(values.keySet())) {
                throw new IllegalArgumentException("packed model " + file + " does not match its own configuration");
            }
            for (Map.Entry<String, INDArray> e : values.entrySet()) {
                target.get(e.getKey()).assign(e.getValue().reshape(target.get(e.getKey()).shape()));
            }
            return graph;
        } catch (EOFException e) {
            throw new IllegalArgumentException("packed model " + file + " is truncated");
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith("packed model")) {
                throw iae;
            }
            throw new IllegalArgumentException("packed model " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
    }

    /** What the packed model records about its data: input shape, class names, normalization (null where absent). */
    public static DataRecord recordedData(File file) {
        try (DataInputStream in = open(file)) {
            return header(in, file);
        } catch (EOFException e) {
            throw new IllegalArgumentException("packed model " + file + " is truncated");
        } catch (IOException e) {
            throw new IllegalArgumentException("packed model " + file + " cannot be read: " + e.getMessage());
        }
    }

    private static DataInputStream open(File file) throws IOException {
        if (!file.isFile()) {
            throw new IllegalArgumentException("packed model " + file + (file.isDirectory() ? " is a folder"
                    : " does not exist"));
        }
        return new DataInputStream(new BufferedInputStream(Files.newInputStream(file.toPath())));
    }

    /** Reads the magic, the version and (version 2) the input shape and class names, (version 3) the normalization. */
    private static DataRecord header(DataInputStream in, File file) throws IOException {
        byte[] magic = new byte[MAGIC.length()];
        in.readFully(magic);
        int version = MAGIC.equals(new String(magic, StandardCharsets.US_ASCII)) ? in.readInt() : -1;
        if (version < 1 || version > VERSION) {
            throw new IllegalArgumentException("packed model " + file + " is not an Apprentice packed file (version 1 to "
                    + VERSION + ")");
        }
        if (version == 1) {
            return DataRecord.NONE;
        }
        String input = in.readUTF();
        int count = in.readInt();
        List<String> classes = count < 0 ? null : new ArrayList<>();
        for (int i = 0; i < count; i++) {
            classes.add(in.readUTF());
        }
        String normalization = version >= 3 ? in.readUTF() : "";
        try {
            return new DataRecord(classes, input.isEmpty() ? null : InputShape.parse(input),
                    normalization.isEmpty() ? null : Normalization.parse(normalization));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("packed model " + file + ": " + e.getMessage());
        }
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream zip = new java.util.zip.GZIPOutputStream(buffer)) {
            zip.write(bytes);
        }
        return buffer.toByteArray();
    }

    private static byte[] gunzip(byte[] bytes) throws IOException {
        try (java.util.zip.GZIPInputStream zip = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return zip.readAllBytes();
        }
    }

    private static long[] perChannel(long[] shape) {
        long[] s = new long[shape.length];
        java.util.Arrays.fill(s, 1);
        s[0] = shape[0];
        return s;
    }

    /** One parameter after its name: shape, kind, then float32 values or codes with their scale(s). */
    private static INDArray readParameter(DataInputStream in, String name, File file) throws IOException {
        long[] shape = new long[in.readInt()];
        long n = 1;
        for (int d = 0; d < shape.length; d++) {
            shape[d] = in.readLong();
            n *= shape[d];
        }
        int kind = in.readByte();
        if (kind < 0 || kind > 2) {
            throw new IllegalArgumentException("packed model " + file + " is not an Apprentice packed file "
                    + "(parameter " + name + " has kind " + kind + ")");
        }
        if (kind == 0) {
            float[] data = new float[(int) n];
            for (int j = 0; j < n; j++) {
                data[j] = in.readFloat();
            }
            return Nd4j.create(data, shape, 'c');
        }
        int bits = in.readByte();
        float[] scales = new float[in.readInt()];
        for (int j = 0; j < scales.length; j++) {
            scales[j] = in.readFloat();
        }
        byte[] packed = new byte[(int) ((n * bits + 7) / 8)];
        in.readFully(packed);
        INDArray codes = Nd4j.createFromArray(unpack(packed, (int) n, bits, offset(bits))).castTo(DataType.FLOAT)
                .reshape('c', shape);
        if (kind == 2) { // TTQ: W_p on +1, -W_n on -1
            INDArray positive = codes.gt(0).castTo(DataType.FLOAT).muli(scales[0]);
            return positive.subi(codes.lt(0).castTo(DataType.FLOAT).muli(scales[1]));
        }
        INDArray scale = scales.length == 1 ? Nd4j.scalar(scales[0]) : Nd4j.create(scales, perChannel(shape), 'c');
        return ArrayOps.COPYING.mul(codes, scale);
    }

    /** Codes are stored as code + offset, an unsigned value below 2^bits. */
    private static int offset(int bits) {
        return org.apprentice.quant.BitWidth.levels(bits, true); // ternary: 2 bits, offset 1, as any signed grid
    }

    static byte[] pack(int[] codes, int bits, int offset) {
        byte[] out = new byte[(int) (((long) codes.length * bits + 7) / 8)];
        long bit = 0;
        for (int code : codes) {
            int v = code + offset;
            for (int b = 0; b < bits; b++, bit++) {
                if (((v >> b) & 1) != 0) {
                    out[(int) (bit >> 3)] |= (byte) (1 << (bit & 7));
                }
            }
        }
        return out;
    }

    static int[] unpack(byte[] packed, int n, int bits, int offset) {
        int[] out = new int[n];
        long bit = 0;
        for (int i = 0; i < n; i++) {
            int v = 0;
            for (int b = 0; b < bits; b++, bit++) {
                if ((packed[(int) (bit >> 3)] >> (bit & 7) & 1) != 0) {
                    v |= 1 << b;
                }
            }
            out[i] = v - offset;
        }
        return out;
    }
}
