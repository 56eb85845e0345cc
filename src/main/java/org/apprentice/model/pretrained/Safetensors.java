package org.apprentice.model.pretrained;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the safetensors format (Hugging Face's; what the model hubs serve torchvision and timm weights as):
 * an unsigned 64-bit little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. No maintained Java reader is on Maven Central apart from whole
 * inference frameworks (DJL), and the format is a page long, so it is read here. Every tensor comes out as a
 * float32 array; F32, F64, F16, BF16, I64, I32, I16 and I8 are read. Errors name the file and the tensor.
 */
public final class Safetensors {
    /** One tensor's entry in the header: its dtype, shape and byte range within the data section. */
    public record Entry(String dtype, long[] shape, long begin, long end) {
        /** The number of values, or -1 when it overflows a long. */
        long count() {
            long n = 1;
            try {
                for (long d : shape) {
                    n = Math.multiplyExact(n, d);
                }
            } catch (ArithmeticException e) {
                return -1;
            }
            return n;
        }
    }

    /** The header: tensors in file order and the optional free-form string metadata. */
    public record Header(Map<String, Entry> tensors, Map<String, String> metadata, long dataStart) {
    }

    private static final long MAX_HEADER = 100L << 20;
    private static final Map<String, Integer> SIZES = Map.of("F32", 4, "F64", 8, "F16", 2, "BF16", 2, "I64", 8,
            "I32", 4, "I16", 2, "I8", 1, "U8", 1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {
    }

    /** Reads only the header: names, dtypes and shapes, without the data. */
    public static Header header(File file) {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, length, 0, file);
            long n = length.getLong(0);
            if (n <= 0 || n > MAX_HEADER || 8 + n > channel.size()) {
                throw bad(file, "its header length " + n + " does not fit a file of " + channel.size() + " bytes");
            }
            ByteBuffer text = ByteBuffer.allocate((int) n);
            readFully(channel, text, 8, file);
            return parse(file, new String(text.array(), StandardCharsets.UTF_8), 8 + n, channel.size());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Writes {@code tensors} in their order (float32; int64 for an array of type LONG) with {@code metadata} as a
     * safetensors file, atomically: an 8-byte little-endian header length, the JSON header (padded with spaces to a
     * multiple of 8 bytes), then the raw little-endian data.
     */
    public static void write(File file, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            com.fasterxml.jackson.databind.node.ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray t = e.getValue();
            boolean integer = t.dataType() == org.nd4j.linalg.api.buffer.DataType.LONG;
            ByteBuffer bytes = ByteBuffer.allocate((int) t.length() * (integer ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            if (integer) {
                for (long v : t.dup('c').data().asLong()) {
                    bytes.putLong(v);
                }
            } else {
                for (float v : t.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat()) {
                    bytes.putFloat(v);
                }
            }
            com.fasterxml.jackson.databind.node.ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", integer ? "I64" : "F32");
            com.fasterxml.jackson.databind.node.ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(data.size()).add(data.size() + bytes.capacity());
            data.write(bytes.array());
        }
        StringBuilder text = new StringBuilder(JSON.writeValueAsString(header));
        while (text.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            text.append(' ');
        }
        byte[] json = text.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.write(length.array());
        all.write(json);
        data.writeTo(all);
        org.apprentice.io.AtomicFiles.write(file.toPath(), all.toByteArray());
    }

    /** Every tensor of the file as a float32 array, in file order. */
    public static Map<String, INDArray> read(File file) {
        Header header = header(file);
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            for (Map.Entry<String, Entry> e : header.tensors().entrySet()) {
                Entry entry = e.getValue();
                ByteBuffer bytes = ByteBuffer.allocate((int) (entry.end() - entry.begin())).order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, bytes, header.dataStart() + entry.begin(), file);
                bytes.flip();
                out.put(e.getKey(), Nd4j.create(floats(bytes, entry.dtype(), (int) entry.count()), entry.shape(), 'c'));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        return out;
    }

    private static Header parse(File file, String text, long dataStart, long fileSize) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw bad(file, "its header is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "its header is not a JSON object");
        }
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
            } else {
                tensors.put(field.getKey(), entry(file, field.getKey(), field.getValue(), fileSize - dataStart));
            }
        }
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata), dataStart);
    }

    private static Entry entry(File file, String name, JsonNode node, long dataSize) {
        String dtype = node.path("dtype").asText("");
        JsonNode shape = node.path("shape");
        JsonNode offsets = node.path("data_offsets");
        if (!SIZES.containsKey(dtype)) {
            throw bad(file, "tensor '" + name + "' has dtype '" + dtype + "'; readable: " + String.join(", ", SIZES.keySet()));
        }
        if (!shape.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw bad(file, "tensor '" + name + "' has no shape or data_offsets");
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape.get(i).isIntegralNumber() ? shape.get(i).asLong(-1) : -1;
            if (dims[i] < 0) {
                throw bad(file, "tensor '" + name + "' has shape " + shape);
            }
        }
        Entry entry = new Entry(dtype, dims, offsets.get(0).isIntegralNumber() ? offsets.get(0).asLong(-1) : -1,
                offsets.get(1).isIntegralNumber() ? offsets.get(1).asLong(-1) : -1);
        if (entry.count() < 0 || entry.begin() < 0 || entry.end() > dataSize || entry.end() - entry.begin() != entry.count() * SIZES.get(dtype)) {
            throw bad(file, "tensor '" + name + "' has data_offsets " + offsets + ", which do not hold a " + dtype
                    + " tensor of shape " + shape + " within the file");
        }
        if (entry.count() > Integer.MAX_VALUE / 8) {
            throw bad(file, "tensor '" + name + "' is too large to read (" + entry.count() + " values)");
        }
        return entry;
    }

    private static float[] floats(ByteBuffer b, String dtype, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case "F32" -> b.getFloat();
                case "F64" -> (float) b.getDouble();
                case "F16" -> half(b.getShort());
                case "BF16" -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                case "I64" -> b.getLong();
                case "I32" -> b.getInt();
                case "I16" -> b.getShort();
                case "I8" -> b.get();
                case "U8" -> b.get() & 0xff;
                default -> throw new IllegalStateException(dtype);
            };
        }
        return out;
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    static float half(short value) {
        int bits = value & 0xffff;
        float sign = (bits & 0x8000) != 0 ? -1f : 1f;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return mantissa == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        return exponent == 0 ? sign * Math.scalb((float) mantissa, -24)
                : sign * Math.scalb(1f + mantissa / 1024f, exponent - 15);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, File file) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw bad(file, "it ends early");
            }
            at += n;
        }
    }

    private static IllegalArgumentException bad(File file, String why) {
        return new IllegalArgumentException(file + " is not a readable safetensors file: " + why);
    }
}
