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
import java.util.List;
import onnx.Onnx;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.pretrained.Pretrained;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.quant.ActivationGrid;
import org.apprentice.quant.ActivationQuantization;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.protobuf.ByteString;

/**
 * A trained student as a standard ONNX model (opset 13, IR version 7) that any ONNX runtime runs: convolutions
 * and the classifier carry the quantized weights q(W) as float32 (the {@link Exporter#deployable} graph's), batch
 * norm is BatchNormalization in inference form, and a k-bit activation is Clip(0, 1), Mul(2^k-1), Round, Div(2^k-1)
 * (Round is half to even, as Apprentice's). Input {@code input} [batch, C, H, W]; outputs {@code logits} and
 * {@code probabilities} (softmax). Initializers take torchvision's names (conv1.weight, bn1.running_var, ...), so
 * Apprentice reads a full-precision export back as a teacher. Metadata: the input shape and the class names.
 */
public final class OnnxExport {
    public static final int OPSET = 13;
    public static final String INPUT = "input";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";
    private static final long IR_VERSION = 7;

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder().setName("apprentice-resnet");
    private final ComputationGraph net;

    private OnnxExport(ComputationGraph deployable) {
        this.net = deployable;
    }

    /**
     * Writes {@code student} (its training graph) as ONNX, atomically, with what it records about its data (input
     * shape, class names and normalization in the metadata; each may be null).
     */
    public static void write(ComputationGraph student, DataRecord data, File file) throws IOException {
        Onnx.ModelProto model = model(student, data);
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

    /** The ONNX model of {@code student}. */
    public static Onnx.ModelProto model(ComputationGraph student, DataRecord data) {
        InputShape input = data.input();
        List<String> classes = data.classNames();
        OnnxExport export = new OnnxExport(Exporter.deployable(student));
        export.build(input);
        Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .setProducerName("apprentice").setProducerVersion("0.1.0")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(export.graph);
        if (input != null) {
            model.addMetadataProps(property("input_shape", input.channels() + "," + input.height() + "," + input.width()));
        }
        if (classes != null) {
            model.addMetadataProps(property(Pretrained.CLASSES_METADATA, json(classes)));
        }
        if (data.normalization() != null) {
            model.addMetadataProps(property(Pretrained.NORMALIZATION_METADATA, data.normalization().toString()));
        }
        return model.build();
    }

    private void build(InputShape input) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        long channels = ((ConvolutionLayer) net.getLayer(ResNetArchitecture.FIRST_CONVOLUTION).conf().getLayer()).getNIn();
        graph.addInput(valueInfo(INPUT, dimension("batch"), fixed(channels),
                input == null ? dimension("height") : fixed(input.height()),
                input == null ? dimension("width") : fixed(input.width())));
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue; // the network input
            }
            List<String> inputs = conf.getVertexInputs().get(name).stream().map(this::tensor).toList();
            if (vertex instanceof ElementWiseVertex add && add.getOp() == ElementWiseVertex.Op.Add) {
                node("Add", name, inputs, name);
            } else if (vertex instanceof LayerVertex lv) {
                layer(name, lv.getLayerConf().getLayer(), inputs.get(0));
            } else {
                throw new IllegalArgumentException("cannot export vertex '" + name + "' (" + vertex.getClass().getSimpleName() + ") to ONNX");
            }
        }
        long classes = ((DenseLayer) net.getLayer(ResNetBuilder.LOGITS).conf().getLayer()).getNOut();
        graph.addOutput(valueInfo(LOGITS, dimension("batch"), fixed(classes)));
        graph.addOutput(valueInfo(PROBABILITIES, dimension("batch"), fixed(classes)));
    }

    /** The ONNX tensor a DL4J vertex's output is called by. */
    private String tensor(String vertex) {
        return vertex.equals(ResNetBuilder.LOGITS) ? LOGITS : vertex;
    }

    private void layer(String name, org.deeplearning4j.nn.conf.layers.Layer conf, String in) {
        Layer layer = net.getLayer(name);
        if (conf instanceof ConvolutionLayer c) {
            initializer(name + ".weight", layer.getParam("W"));
            node("Conv", name, List.of(in, name + ".weight"), name, ints("kernel_shape", c.getKernelSize()),
                    ints("strides", c.getStride()), ints("pads", c.getPadding()[0], c.getPadding()[1], c.getPadding()[0],
                            c.getPadding()[1]));
        } else if (conf instanceof BatchNormalization bn) {
            batchNorm(name, bn, layer, in);
        } else if (ActivationQuantization.of(conf) != null) {
            quantizedActivation(name, ActivationQuantization.of(conf), layer, in);
        } else if (conf instanceof ActivationLayer a) {
            activation(name, a, in);
        } else if (conf instanceof SubsamplingLayer s && s.getPoolingType() == PoolingType.MAX) {
            node("MaxPool", name, List.of(in), name, ints("kernel_shape", s.getKernelSize()), ints("strides", s.getStride()),
                    ints("pads", s.getPadding()[0], s.getPadding()[1], s.getPadding()[0], s.getPadding()[1]));
        } else if (conf instanceof GlobalPoolingLayer g && g.getPoolingType() == PoolingType.AVG) {
            node("GlobalAveragePool", name + "/pool", List.of(in), name + "/pool");
            node("Flatten", name, List.of(name + "/pool"), name, intAttribute("axis", 1));
        } else if (conf instanceof DenseLayer) {
            initializer("fc.weight", layer.getParam("W").transpose());
            initializer("fc.bias", layer.getParam("b").reshape(-1));
            node("Gemm", name, List.of(in, "fc.weight", "fc.bias"), LOGITS, intAttribute("transB", 1));
        } else if (conf instanceof LossLayer) {
            node("Softmax", name, List.of(in), PROBABILITIES, intAttribute("axis", 1));
        } else {
            throw new IllegalArgumentException("cannot export layer '" + name + "' (" + conf.getClass().getSimpleName() + ") to ONNX");
        }
    }

    /**
     * DL4J's batch norm at inference divides by sqrt(var + eps) with var = (10^log10stdev)² when it keeps the log
     * standard deviation (Apprentice's networks do), which ONNX's BatchNormalization computes from the same var.
     */
    private void batchNorm(String name, BatchNormalization bn, Layer layer, String in) {
        INDArray variance = bn.isUseLogStd()
                ? Transforms.exp(layer.getParam("log10stdev").mul(2 * Math.log(10)), false)
                : layer.getParam("var");
        initializer(name + ".weight", layer.getParam("gamma").reshape(-1));
        initializer(name + ".bias", layer.getParam("beta").reshape(-1));
        initializer(name + ".running_mean", layer.getParam("mean").reshape(-1));
        initializer(name + ".running_var", variance.reshape(-1));
        node("BatchNormalization", name, List.of(in, name + ".weight", name + ".bias", name + ".running_mean",
                name + ".running_var"), name, Onnx.AttributeProto.newBuilder().setName("epsilon")
                .setType(Onnx.AttributeProto.AttributeType.FLOAT).setF((float) bn.getEps()).build());
    }

    /** ReLU (the only full-precision activation a ResNet here has). */
    private void activation(String name, ActivationLayer a, String in) {
        if (!(a.getActivationFn() instanceof ActivationReLU)) {
            throw new IllegalArgumentException("cannot export activation " + a.getActivationFn() + " of layer '" + name + "' to ONNX");
        }
        node("Relu", name, List.of(in), name);
    }

    /**
     * A quantized activation, from its grid. Fixed k-bit: Clip(0, 1), Mul(2^k - 1), Round, Div(2^k - 1) (only Clip when
     * rounding is off); PACT: Clip(0, α), Mul((2^k - 1)/α), Round, Mul(α/(2^k - 1)); LSQ: Div(s), Clip(0, 2^k - 1),
     * Round, Mul(s); a learned one without Round (Identity) when rounding is off.
     */
    private void quantizedActivation(String name, ActivationQuantization quantization, Layer layer, String in) {
        ActivationGrid g = quantization.grid(layer);
        if (!g.set()) {
            throw new IllegalArgumentException("layer '" + name + "' has never quantized an activation: its learned "
                    + quantization.parameters().get(0) + " is unset (a student that has not been trained)");
        }
        int steps = g.levels();
        scalar("zero", 0f);
        switch (g.method()) {
            case FIXED -> {
                scalar("one", 1f);
                if (!g.rounding()) {
                    node("Clip", name, List.of(in, "zero", "one"), name);
                    return;
                }
                String levels = "steps" + g.bits();
                scalar(levels, steps);
                node("Clip", name + "/clip", List.of(in, "zero", "one"), name + "/clip");
                node("Mul", name + "/scale", List.of(name + "/clip", levels), name + "/scale");
                node("Round", name + "/round", List.of(name + "/scale"), name + "/round");
                node("Div", name, List.of(name + "/round", levels), name);
            }
            case PACT -> {
                float alpha = (float) g.high();
                String rounded = name + "/round";
                scalar(name + ".alpha", alpha);
                scalar(name + ".scale_up", steps / alpha);
                scalar(name + ".scale_down", alpha / steps);
                node("Clip", name + "/clip", List.of(in, "zero", name + ".alpha"), name + "/clip");
                node("Mul", name + "/up", List.of(name + "/clip", name + ".scale_up"), name + "/up");
                node(g.rounding() ? "Round" : "Identity", rounded, List.of(name + "/up"), rounded);
                node("Mul", name, List.of(rounded, name + ".scale_down"), name);
            }
            case LSQ -> {
                float step = (float) g.step();
                String rounded = name + "/round";
                scalar(name + ".step", step);
                scalar("levels" + steps, steps);
                node("Div", name + "/unit", List.of(in, name + ".step"), name + "/unit");
                node("Clip", name + "/clip", List.of(name + "/unit", "zero", "levels" + steps), name + "/clip");
                node(g.rounding() ? "Round" : "Identity", rounded, List.of(name + "/clip"), rounded);
                node("Mul", name, List.of(rounded, name + ".step"), name);
            }
        }
    }

    private void node(String op, String name, List<String> inputs, String output, Onnx.AttributeProto... attributes) {
        graph.addNode(Onnx.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)));
    }

    private void scalar(String name, float value) {
        if (graph.getInitializerList().stream().noneMatch(t -> t.getName().equals(name))) {
            initializer(name, Nd4j.scalar(value));
        }
    }

    private void initializer(String name, INDArray value) {
        INDArray v = value.castTo(DataType.FLOAT).dup('c');
        ByteBuffer bytes = ByteBuffer.allocate((int) v.length() * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(v.data().asFloat());
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : v.shape()) {
            t.addDims(d);
        }
        graph.addInitializer(t);
    }

    private static Onnx.AttributeProto ints(String name, int... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (int v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static Onnx.AttributeProto intAttribute(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static Onnx.TensorShapeProto.Dimension dimension(String symbol) {
        return Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(symbol).build();
    }

    private static Onnx.TensorShapeProto.Dimension fixed(long size) {
        return Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(size).build();
    }

    private static Onnx.ValueInfoProto valueInfo(String name, Onnx.TensorShapeProto.Dimension... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder().addAllDim(List.of(dims));
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
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
