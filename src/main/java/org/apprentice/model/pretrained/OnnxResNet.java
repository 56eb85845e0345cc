package org.apprentice.model.pretrained;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.apprentice.model.InputShape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads an ONNX file of a ResNet (as {@code torch.onnx.export} writes torchvision's, or as Apprentice's export
 * writes a full-precision one) back into torchvision's state-dict names, by walking the graph: stem
 * convolution, blocks (each ends in Add then Relu; a block whose shortcut has its own convolution starts a
 * new stage), global average pooling and the Gemm classifier. Batch norm may be its own node or folded into
 * the convolution's bias, as PyTorch's exporter does in evaluation mode; a folded one becomes an identity
 * batch norm with that bias. The ONNX protobuf classes are the ones ND4J ships ({@code onnx.Onnx}).
 */
public final class OnnxResNet {
    private static final float BN_EPS = 1e-5f;

    /** The state dict the graph holds and, when the graph's input has fixed dimensions, its input shape. */
    public record Result(Map<String, INDArray> stateDict, InputShape input, Map<String, Geometry> convolutions,
                         boolean maxPool, boolean foldedBatchNorm) {
    }

    /** A convolution's kernel, stride and padding as the file states them (square, as in every ResNet). */
    public record Geometry(long kernel, long stride, long padding) {
    }

    private final File file;
    private final Map<String, INDArray> constants = new HashMap<>();
    private final Map<String, List<Onnx.NodeProto>> consumers = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final Map<String, INDArray> stateDict = new LinkedHashMap<>();
    private final Map<String, Geometry> geometry = new LinkedHashMap<>();
    private boolean maxPool;
    private boolean folded;

    private OnnxResNet(File file, Onnx.GraphProto graph) {
        this.file = file;
        for (Onnx.TensorProto t : graph.getInitializerList()) {
            constants.put(t.getName(), tensor(t));
        }
        for (Onnx.NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("Constant") && node.getAttributeCount() > 0 && node.getAttribute(0).hasT()) {
                constants.put(node.getOutput(0), tensor(node.getAttribute(0).getT()));
            } else if (node.getOpType().equals("Identity")) {
                // PyTorch's exporter passes weights (and sometimes data) through Identity nodes: read through them
                String source = resolve(node.getInput(0));
                aliases.put(node.getOutput(0), source);
                if (constants.containsKey(source)) {
                    constants.put(node.getOutput(0), constants.get(source));
                }
                continue;
            }
            for (String input : node.getInputList()) {
                consumers.computeIfAbsent(resolve(input), k -> new ArrayList<>()).add(node);
            }
        }
    }

    private String resolve(String tensor) {
        return aliases.getOrDefault(tensor, tensor);
    }

    /** Parses the file; one-line errors name it and the node where the graph stops looking like a ResNet. */
    public static Result read(File file) {
        Onnx.ModelProto model;
        try (InputStream in = Files.newInputStream(file.toPath())) {
            model = Onnx.ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a readable ONNX model: " + e.getMessage());
        }
        Onnx.GraphProto graph = model.getGraph();
        if (graph.getNodeCount() == 0) {
            throw new IllegalArgumentException(file + " is not an ONNX model with a graph");
        }
        OnnxResNet reader = new OnnxResNet(file, graph);
        Onnx.ValueInfoProto input = reader.dataInput(graph);
        reader.walk(input.getName());
        return new Result(reader.stateDict, shapeOf(input), reader.geometry, reader.maxPool, reader.folded);
    }

    private Onnx.ValueInfoProto dataInput(Onnx.GraphProto graph) {
        List<Onnx.ValueInfoProto> inputs = graph.getInputList().stream()
                .filter(v -> !constants.containsKey(v.getName())).toList();
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(file + " has " + inputs.size() + " data inputs; a ResNet has one");
        }
        return inputs.get(0);
    }

    private static InputShape shapeOf(Onnx.ValueInfoProto input) {
        List<Onnx.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 4 || dims.stream().skip(1).anyMatch(d -> !d.hasDimValue() || d.getDimValue() <= 0)) {
            return null;
        }
        return new InputShape((int) dims.get(1).getDimValue(), (int) dims.get(2).getDimValue(),
                (int) dims.get(3).getDimValue());
    }

    private void walk(String input) {
        String x = convBn(only(pastNormalization(input), "Conv"), org.apprentice.model.ResNetArchitecture.FIRST_CONVOLUTION,
                "bn1");
        x = only(x, "Relu").getOutput(0);
        List<Onnx.NodeProto> next = consumers.getOrDefault(x, List.of());
        if (next.size() == 1 && next.get(0).getOpType().equals("MaxPool")) {
            requirePool(next.get(0));
            x = next.get(0).getOutput(0);
            maxPool = true;
        }
        int stage = 1;
        int block = 0;
        boolean first = true;
        while (!isPooling(x)) {
            Block b = block(x);
            if (b.downsample != null && !first) {
                stage++;
                block = 0;
            }
            String prefix = "layer" + stage + "." + block + ".";
            for (int i = 0; i < b.main.size(); i++) {
                take(b.main.get(i), prefix + "conv" + (i + 1), prefix + "bn" + (i + 1));
            }
            if (b.downsample != null) {
                take(b.downsample, prefix + "downsample.0", prefix + "downsample.1");
            }
            x = b.output;
            block++;
            first = false;
        }
        head(x);
    }

    /** One residual block: its main-path convolutions in order, its shortcut convolution or null, its output. */
    private record Block(List<Onnx.NodeProto> main, Onnx.NodeProto downsample, String output) {
    }

    private Block block(String x) {
        List<Onnx.NodeProto> main = new ArrayList<>();
        Onnx.NodeProto downsample = null;
        Onnx.NodeProto add = null;
        for (Onnx.NodeProto node : consumers.getOrDefault(x, List.of())) {
            if (node.getOpType().equals("Add")) {
                add = node;
            } else if (node.getOpType().equals("Conv")) {
                String out = afterBn(node.getOutput(0));
                Onnx.NodeProto consumer = only(out, null);
                if (consumer.getOpType().equals("Add")) {
                    downsample = node;
                } else {
                    main.add(node);
                }
            } else {
                throw unexpected(node, "a block's Conv or Add");
            }
        }
        if (main.size() != 1) {
            throw new IllegalArgumentException(file + ": the block reading '" + x + "' has " + main.size()
                    + " main-path convolutions where a ResNet block has one");
        }
        String t = afterBn(main.get(0).getOutput(0));
        while (true) {
            Onnx.NodeProto n = only(t, null);
            if (n.getOpType().equals("Add")) {
                add = n;
                break;
            }
            if (!n.getOpType().equals("Relu")) {
                throw unexpected(n, "Relu or Add");
            }
            Onnx.NodeProto conv = only(n.getOutput(0), "Conv");
            main.add(conv);
            t = afterBn(conv.getOutput(0));
        }
        return new Block(main, downsample, only(add.getOutput(0), "Relu").getOutput(0));
    }

    private boolean isPooling(String x) {
        List<Onnx.NodeProto> next = consumers.getOrDefault(x, List.of());
        return next.size() == 1 && (next.get(0).getOpType().equals("GlobalAveragePool")
                || next.get(0).getOpType().equals("ReduceMean"));
    }

    private void head(String x) {
        String pooled = only(x, null).getOutput(0);
        Onnx.NodeProto n = only(pooled, null);
        while (n.getOpType().equals("Flatten") || n.getOpType().equals("Reshape") || n.getOpType().equals("Squeeze")) {
            n = only(n.getOutput(0), null);
        }
        if (!n.getOpType().equals("Gemm")) {
            throw unexpected(n, "Gemm (the classifier)");
        }
        if (attributeInt(n, "transA", 0) != 0 || attributeFloat(n, "alpha", 1f) != 1f || attributeFloat(n, "beta", 1f) != 1f) {
            throw unexpected(n, "Gemm with transA = 0, alpha = beta = 1 (the classifier)");
        }
        INDArray weight = constant(n, 1);
        boolean transposed = attributeInt(n, "transB", 0) == 1;
        stateDict.put("fc.weight", transposed ? weight : weight.transpose().dup('c'));
        stateDict.put("fc.bias", n.getInputCount() > 2 ? constant(n, 2).reshape(-1) : Nd4j.zeros(weight.dataType(),
                transposed ? weight.size(0) : weight.size(1)));
    }

    /** The tensor after the convolution's batch norm (or the convolution's own output when it is folded). */
    private String afterBn(String convOut) {
        List<Onnx.NodeProto> next = consumers.getOrDefault(convOut, List.of());
        return next.size() == 1 && next.get(0).getOpType().equals("BatchNormalization") ? next.get(0).getOutput(0) : convOut;
    }

    private String convBn(Onnx.NodeProto conv, String convName, String bnName) {
        take(conv, convName, bnName);
        return afterBn(conv.getOutput(0));
    }

    /** Stores a convolution's weight and its batch norm (a node, or folded into the convolution's bias). */
    private void take(Onnx.NodeProto conv, String convName, String bnName) {
        if (attributeInt(conv, "group", 1) != 1 || attributeFirst(conv, "dilations", 1) != 1
                || !attributeString(conv, "auto_pad", "NOTSET").equals("NOTSET")) {
            throw unexpected(conv, "a plain convolution (group 1, dilation 1, explicit pads)");
        }
        INDArray weight = constant(conv, 1);
        if (weight.rank() != 4) {
            throw unexpected(conv, "a 2-d convolution with a [out, in, k, k] weight");
        }
        stateDict.put(convName + ".weight", weight);
        geometry.put(convName, new Geometry(weight.size(3), attributeFirst(conv, "strides", 1),
                attributeFirst(conv, "pads", 0)));
        long channels = weight.size(0);
        List<Onnx.NodeProto> next = consumers.getOrDefault(conv.getOutput(0), List.of());
        INDArray bias = conv.getInputCount() > 2 ? constant(conv, 2).reshape(-1) : Nd4j.zeros(weight.dataType(), channels);
        if (next.size() == 1 && next.get(0).getOpType().equals("BatchNormalization")) {
            Onnx.NodeProto bn = next.get(0);
            float eps = attributeFloat(bn, "epsilon", BN_EPS);
            INDArray mean = constant(bn, 3).reshape(-1);
            // a convolution bias before batch norm only shifts the mean it subtracts
            stateDict.put(bnName + ".weight", constant(bn, 1).reshape(-1));
            stateDict.put(bnName + ".bias", constant(bn, 2).reshape(-1));
            stateDict.put(bnName + ".running_mean", mean.sub(bias));
            stateDict.put(bnName + ".running_var", constant(bn, 4).reshape(-1).add(eps - BN_EPS));
        } else {
            folded = true;
            stateDict.put(bnName + ".weight", Nd4j.ones(weight.dataType(), channels));
            stateDict.put(bnName + ".bias", bias);
            stateDict.put(bnName + ".running_mean", Nd4j.zeros(weight.dataType(), channels));
            stateDict.put(bnName + ".running_var", Nd4j.ones(weight.dataType(), channels).subi(BN_EPS));
        }
    }

    /**
     * The tensor after the input's normalization, where the graph normalizes its pixels itself (Sub of a constant
     * mean, then Div by a constant std, as Apprentice's exports do; the file's metadata records the same values);
     * the input itself otherwise.
     */
    private String pastNormalization(String input) {
        List<Onnx.NodeProto> next = consumers.getOrDefault(input, List.of());
        if (next.size() != 1 || !next.get(0).getOpType().equals("Sub")) {
            return input;
        }
        constant(next.get(0), 1);
        Onnx.NodeProto div = only(next.get(0).getOutput(0), "Div");
        constant(div, 1);
        return div.getOutput(0);
    }

    /** The single node reading {@code tensor}, which must be of type {@code op} (any type when null). */
    private Onnx.NodeProto only(String tensor, String op) {
        List<Onnx.NodeProto> next = consumers.getOrDefault(tensor, List.of());
        if (next.size() != 1) {
            throw new IllegalArgumentException(file + ": tensor '" + tensor + "' is read by " + next.size()
                    + " nodes where a ResNet has one" + (op == null ? "" : " (" + op + ")"));
        }
        if (op != null && !next.get(0).getOpType().equals(op)) {
            throw unexpected(next.get(0), op);
        }
        return next.get(0);
    }

    private IllegalArgumentException unexpected(Onnx.NodeProto node, String expected) {
        return new IllegalArgumentException(file + ": node '" + node.getName() + "' is " + node.getOpType()
                + " where a ResNet has " + expected);
    }

    private INDArray constant(Onnx.NodeProto node, int input) {
        INDArray value = input < node.getInputCount() ? constants.get(node.getInput(input)) : null;
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(file + ": input " + input + " of " + node.getOpType() + " node '"
                    + node.getName() + "' is not a constant float weight");
        }
        return value;
    }

    private static long attributeInt(Onnx.NodeProto node, String name, long otherwise) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(Onnx.AttributeProto::getI).orElse(otherwise);
    }

    private static long attributeFirst(Onnx.NodeProto node, String name, long otherwise) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name) && a.getIntsCount() > 0)
                .findFirst().map(a -> a.getInts(0)).orElse(otherwise);
    }

    private static String attributeString(Onnx.NodeProto node, String name, String otherwise) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(a -> a.getS().toStringUtf8()).orElse(otherwise);
    }

    /** The stem's max pool must be torchvision's: 3x3, stride 2, padding 1. */
    private void requirePool(Onnx.NodeProto pool) {
        if (attributeFirst(pool, "kernel_shape", 0) != 3 || attributeFirst(pool, "strides", 1) != 2
                || attributeFirst(pool, "pads", 0) != 1 || attributeInt(pool, "ceil_mode", 0) != 0) {
            throw unexpected(pool, "the stem's 3x3/2 max pool with padding 1");
        }
    }

    private static float attributeFloat(Onnx.NodeProto node, String name, float otherwise) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(Onnx.AttributeProto::getF).orElse(otherwise);
    }

    private INDArray tensor(Onnx.TensorProto t) {
        if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException(file + ": tensor '" + t.getName() + "' is stored in an external data file; "
                    + "save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))");
        }
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
        } catch (ArithmeticException e) {
            count = -1;
        }
        if (count < 0 || count > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException(file + ": tensor '" + t.getName() + "' has dimensions " + t.getDimsList());
        }
        int n = (int) count;
        float[] values = new float[n];
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        int type = t.getDataType();
        int width = type == FLOAT || type == INT32 ? 4 : type == DOUBLE || type == INT64 ? 8 : type == FLOAT16 ? 2 : 0;
        if (width == 0) {
            return Nd4j.empty(); // a type no ResNet weight has: a node that uses it is refused where it is read
        }
        int stored = hasRaw ? raw.remaining() / width : type == FLOAT ? t.getFloatDataCount() : type == DOUBLE
                ? t.getDoubleDataCount() : type == INT64 ? t.getInt64DataCount() : t.getInt32DataCount();
        if (stored != n) {
            throw new IllegalArgumentException(file + ": tensor '" + t.getName() + "' holds " + stored + " values for "
                    + "dimensions " + t.getDimsList());
        }
        for (int i = 0; i < n; i++) {
            if (type == FLOAT) {
                values[i] = hasRaw ? raw.getFloat() : t.getFloatData(i);
            } else if (type == DOUBLE) {
                values[i] = (float) (hasRaw ? raw.getDouble() : t.getDoubleData(i));
            } else if (type == INT64) {
                values[i] = hasRaw ? raw.getLong() : t.getInt64Data(i);
            } else if (type == FLOAT16) {
                values[i] = Safetensors.half(hasRaw ? raw.getShort() : (short) t.getInt32Data(i));
            } else {
                values[i] = hasRaw ? raw.getInt() : t.getInt32Data(i);
            }
        }
        return shape.length == 0 ? Nd4j.scalar(n == 0 ? 0f : values[0]) : Nd4j.create(values, shape, 'c');
    }

    private static final int FLOAT = Onnx.TensorProto.DataType.FLOAT.getNumber();
    private static final int DOUBLE = Onnx.TensorProto.DataType.DOUBLE.getNumber();
    private static final int INT64 = Onnx.TensorProto.DataType.INT64.getNumber();
    private static final int INT32 = Onnx.TensorProto.DataType.INT32.getNumber();
    private static final int FLOAT16 = Onnx.TensorProto.DataType.FLOAT16.getNumber();
}
