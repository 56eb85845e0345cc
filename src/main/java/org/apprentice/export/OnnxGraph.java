package org.apprentice.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx;
import org.apprentice.model.DataRecord;
import org.apprentice.model.Normalization;
import org.apprentice.model.pretrained.Pretrained;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.protobuf.ByteString;

/**
 * An ONNX graph being written (opset 13, IR version 7): nodes, typed initializers, the input with its normalization,
 * and the model with Apprentice's metadata. Both exports, the float one and the integer one, write through it.
 */
final class OnnxGraph {
    static final int OPSET = 13;
    static final long IR_VERSION = 7;

    final Onnx.GraphProto.Builder graph;
    private final Set<String> initializers = new HashSet<>();

    OnnxGraph(String name) {
        graph = Onnx.GraphProto.newBuilder().setName(name);
    }

    void node(String op, String name, List<String> inputs, String output, Onnx.AttributeProto... attributes) {
        graph.addNode(Onnx.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)));
    }

    /** A float initializer, written once under its name. */
    void floats(String name, INDArray value) {
        INDArray v = value.castTo(DataType.FLOAT).dup('c');
        float[] data = v.data().asFloat();
        floats(name, data, v.shape());
    }

    void floats(String name, float[] data, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        tensor(name, Onnx.TensorProto.DataType.FLOAT, bytes.array(), shape);
    }

    void int8(String name, byte[] data, long... shape) {
        tensor(name, Onnx.TensorProto.DataType.INT8, data, shape);
    }

    void uint8(String name, byte[] data, long... shape) {
        tensor(name, Onnx.TensorProto.DataType.UINT8, data, shape);
    }

    void int32(String name, int[] data, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(data);
        tensor(name, Onnx.TensorProto.DataType.INT32, bytes.array(), shape);
    }

    /** A float scalar (shape []), written once under its name. */
    void scalar(String name, float value) {
        floats(name, new float[] {value});
    }

    private void tensor(String name, Onnx.TensorProto.DataType type, byte[] raw, long... shape) {
        if (!initializers.add(name)) {
            return;
        }
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
    }

    /**
     * The graph's float input {@code input} [batch, channels, height, width] (height and width symbolic when not
     * known), holding pixels in [0, 1]; returns the tensor the network reads: the input normalized in the graph,
     * (pixel - mean) / std per channel, or the input itself where the model takes pixels as they are.
     */
    String pixelInput(String input, long channels, DataRecord data, Normalization normalization) {
        var in = data.input();
        graph.addInput(valueInfo(input, Onnx.TensorProto.DataType.FLOAT, dimension("batch"), fixed(channels),
                in == null ? dimension("height") : fixed(in.height()), in == null ? dimension("width") : fixed(in.width())));
        if (normalization == null || normalization.equals(Normalization.NONE)) {
            return input;
        }
        float[] mean = new float[(int) channels];
        float[] std = new float[(int) channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = (float) normalization.mean()[normalization.mean().length == 1 ? 0 : c];
            std[c] = (float) normalization.std()[normalization.std().length == 1 ? 0 : c];
        }
        floats("normalization.mean", mean, channels, 1, 1);
        floats("normalization.std", std, channels, 1, 1);
        node("Sub", "normalization/sub", List.of(input, "normalization.mean"), "normalization/centred");
        node("Div", "normalization/div", List.of("normalization/centred", "normalization.std"), "normalization/out");
        return "normalization/out";
    }

    void output(String name, Onnx.TensorProto.DataType type, Onnx.TensorShapeProto.Dimension... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    /** The model: this graph, and the metadata (input shape, class names, normalization, and that input is pixels). */
    Onnx.ModelProto model(DataRecord data, boolean pixels) {
        Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .setProducerName("apprentice").setProducerVersion("0.1.0")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph);
        if (data.input() != null) {
            model.addMetadataProps(property(Pretrained.INPUT_METADATA, data.input().channels() + "," + data.input().height() + ","
                    + data.input().width()));
        }
        if (data.classNames() != null) {
            model.addMetadataProps(property(Pretrained.CLASSES_METADATA, json(data.classNames())));
        }
        if (data.normalization() != null) {
            model.addMetadataProps(property(Pretrained.NORMALIZATION_METADATA, data.normalization().toString()));
        }
        if (pixels) {
            model.addMetadataProps(property(Pretrained.INPUT_KIND_METADATA, Pretrained.PIXELS));
        }
        return model.build();
    }

    /** Writes {@code model} to {@code file} atomically (a partial file never takes its name). */
    static void write(Onnx.ModelProto model, File file) throws IOException {
        File parent = file.getAbsoluteFile().getParentFile();
        Files.createDirectories(parent.toPath());
        File temp = File.createTempFile(file.getName(), ".part", parent);
        try {
            try (OutputStream out = Files.newOutputStream(temp.toPath())) {
                model.writeTo(out);
            }
            Files.move(temp.toPath(), file.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp.toPath());
        }
    }

    static Onnx.AttributeProto ints(String name, int... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (int v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static Onnx.AttributeProto intAttribute(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value)
                .build();
    }

    static Onnx.AttributeProto floatAttribute(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF(value).build();
    }

    static Onnx.TensorShapeProto.Dimension dimension(String symbol) {
        return Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(symbol).build();
    }

    static Onnx.TensorShapeProto.Dimension fixed(long size) {
        return Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(size).build();
    }

    static Onnx.ValueInfoProto valueInfo(String name, Onnx.TensorProto.DataType type,
                                         Onnx.TensorShapeProto.Dimension... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder().addAllDim(List.of(dims));
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }

    private static Onnx.StringStringEntryProto property(String key, String value) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static String json(List<String> values) {
        try {
            return new ObjectMapper().writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
