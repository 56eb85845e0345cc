package org.apprentice.model.pretrained;

import java.io.File;
import java.util.List;
import java.util.Map;
import org.apprentice.model.InputShape;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pretrained ResNets from outside DL4J: a PyTorch state dict saved as {@code .safetensors} (torchvision's names)
 * or an {@code .onnx} file of the same network. Each becomes a full-precision graph of the registry; the
 * number of classes and the input channels come from the file, and the input height and width too where the
 * file states them (an ONNX input with fixed dimensions, or an {@code input_shape} "C,H,W" entry in the
 * safetensors metadata). Zips stay with {@link org.apprentice.model.ModelFiles}, which sends these files here.
 */
public final class Pretrained {
    /** Metadata key of a safetensors file that records the input shape "C,H,W" (optional). */
    public static final String INPUT_METADATA = "input_shape";
    /**
     * Metadata key, in a safetensors file's header or an ONNX file's metadata, of the class names in label order as a
     * JSON list (optional; Apprentice's ONNX export writes it).
     */
    public static final String CLASSES_METADATA = "classes";

    private Pretrained() {
    }

    /** A loaded file: the graph, what its names and shapes say it is, and its stated input shape or null. */
    public record Model(ComputationGraph graph, TorchNames.Shape shape, InputShape input) {
    }

    /** Whether {@code file} is one of the formats read here (by its extension). */
    public static boolean handles(File file) {
        String name = file.getName().toLowerCase();
        return name.endsWith(".safetensors") || name.endsWith(".onnx");
    }

    private static boolean onnx(File file) {
        return file.getName().toLowerCase().endsWith(".onnx");
    }

    /** The network with its weights. */
    public static Model load(File file) {
        if (onnx(file)) {
            OnnxResNet.Result read = readOnnx(file);
            TorchNames.Shape shape = TorchNames.shape(TorchNames.shapesOf(read.stateDict()), file);
            boolean imagenet = shape.architecture().shape() == org.apprentice.model.StemShape.IMAGENET;
            if (read.maxPool() != imagenet) {
                throw new IllegalArgumentException(file + ": its stem " + (read.maxPool() ? "has" : "has no")
                        + " max pool, which " + shape.architecture().name() + "'s " + (imagenet ? "has" : "has not"));
            }
            ComputationGraph graph = TorchNames.network(read.stateDict(), shape, buildInput(shape, read.input()), file);
            requireGeometry(graph, read.convolutions(), file);
            return new Model(graph, shape, read.input());
        }
        Map<String, INDArray> tensors = Safetensors.read(file);
        TorchNames.Shape shape = TorchNames.shape(TorchNames.shapesOf(tensors), file);
        InputShape input = metadataInput(Safetensors.header(file).metadata(), file);
        return new Model(TorchNames.network(tensors, shape, buildInput(shape, input), file), shape, input);
    }

    /**
     * Writes a full-precision Apprentice ResNet as a safetensors state dict under torchvision's names (as a
     * {@code .pth} converted with {@code safetensors.torch.save_file} would hold it), with what {@code data} records
     * as metadata (class names, input shape, normalization), which {@link #load} and the model checks read back.
     */
    public static void save(ComputationGraph graph, org.apprentice.model.DataRecord data, File file)
            throws java.io.IOException {
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        metadata.put("format", "pt");
        if (data.classNames() != null) {
            metadata.put(CLASSES_METADATA, new org.nd4j.shade.jackson.databind.ObjectMapper()
                    .writeValueAsString(data.classNames()));
        }
        if (data.input() != null) {
            metadata.put(INPUT_METADATA, data.input().channels() + "," + data.input().height() + ","
                    + data.input().width());
        }
        if (data.normalization() != null) {
            metadata.put(NORMALIZATION_METADATA, data.normalization().toString());
        }
        Safetensors.write(file, TorchNames.stateDict(graph), metadata);
    }

    /** What the file's names and shapes say the network is, reading a safetensors file's header only. */
    public static TorchNames.Shape shape(File file) {
        if (onnx(file)) {
            return TorchNames.shape(TorchNames.shapesOf(readOnnx(file).stateDict()), file);
        }
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        Safetensors.header(file).tensors().forEach((k, v) -> shapes.put(k, v.shape()));
        return TorchNames.shape(shapes, file);
    }

    /**
     * The input shape the file states, or null: its metadata's, else (ONNX) its graph input's fixed dimensions, read
     * without walking the graph, so that any ONNX file (a low-precision export's too) answers.
     */
    public static InputShape input(File file) {
        if (!onnx(file)) {
            return metadataInput(Safetensors.header(file).metadata(), file);
        }
        InputShape recorded = metadataInput(metadata(file), file);
        return recorded != null ? recorded : graphInput(file);
    }

    /** An ONNX graph's data input (its first input that is not an initializer) as C,H,W when those are fixed. */
    private static InputShape graphInput(File file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file.toPath())) {
            onnx.Onnx.GraphProto graph = onnx.Onnx.ModelProto.parseFrom(in).getGraph();
            java.util.Set<String> initializers = new java.util.HashSet<>();
            graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
            for (onnx.Onnx.ValueInfoProto input : graph.getInputList()) {
                if (initializers.contains(input.getName())) {
                    continue;
                }
                List<onnx.Onnx.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
                if (dims.size() != 4 || dims.subList(1, 4).stream().anyMatch(d -> !d.hasDimValue())) {
                    return null;
                }
                return new InputShape((int) dims.get(1).getDimValue(), (int) dims.get(2).getDimValue(),
                        (int) dims.get(3).getDimValue());
            }
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a readable ONNX model: " + e.getMessage());
        }
    }

    /**
     * Metadata key, in a safetensors file's header or an ONNX file's metadata, of the input normalization as
     * {@link org.apprentice.model.Normalization#toString()} writes it (optional; Apprentice's ONNX export writes it).
     */
    public static final String NORMALIZATION_METADATA = "normalization";

    /**
     * A file's metadata: a safetensors header's, or an ONNX model's metadata properties (read without walking its
     * graph, so that it is read from any ONNX file, a ResNet's or not).
     */
    private static Map<String, String> metadata(File file) {
        if (!onnx(file)) {
            return Safetensors.header(file).metadata();
        }
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file.toPath())) {
            Map<String, String> metadata = new java.util.LinkedHashMap<>();
            onnx.Onnx.ModelProto.parseFrom(in).getMetadataPropsList().forEach(p -> metadata.put(p.getKey(), p.getValue()));
            return metadata;
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a readable ONNX model: " + e.getMessage());
        }
    }

    /**
     * Metadata key of an ONNX file whose input is pixels in [0, 1] and whose graph normalizes them itself
     * (Apprentice's exports): its value is {@link #PIXELS}.
     */
    public static final String INPUT_KIND_METADATA = "input";
    public static final String PIXELS = "pixels in [0, 1], channels first; the graph normalizes them";

    /** Whether the ONNX file takes pixels in [0, 1] and normalizes them in its graph (else: normalized input). */
    public static boolean takesPixels(File file) {
        return onnx(file) && PIXELS.equals(metadata(file).get(INPUT_KIND_METADATA));
    }

    /**
     * The input normalization the file states, or null: also when its {@code normalization} entry is not in
     * Apprentice's form (a file from elsewhere may use the key its own way; then nothing is known).
     */
    public static org.apprentice.model.Normalization normalization(File file) {
        String text = metadata(file).get(NORMALIZATION_METADATA);
        try {
            return text == null ? null : org.apprentice.model.Normalization.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The class names the file states in label order, or null. */
    public static List<String> classes(File file) {
        String text = metadata(file).get(CLASSES_METADATA);
        if (text == null) {
            return null;
        }
        try {
            return List.of(new org.nd4j.shade.jackson.databind.ObjectMapper().readValue(text, String[].class));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": metadata " + CLASSES_METADATA + " is not a JSON list of names");
        }
    }

    /**
     * Whether the file's batch norm is folded into its convolutions (as {@code torch.onnx.export} does in evaluation
     * mode): exact for inference (a teacher, eval), but training normalises by batch statistics and needs the batch
     * norm's own γ and β, which folding loses.
     */
    public static boolean foldedBatchNorm(File file) {
        return onnx(file) && readOnnx(file).foldedBatchNorm();
    }

    /** The last ONNX file read, kept while it is unchanged: a run asks for its shape, input and weights in turn. */
    private static final Map<List<Object>, OnnxResNet.Result> LAST_ONNX = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Object>, OnnxResNet.Result> eldest) {
            return size() > 1;
        }
    };

    private static synchronized OnnxResNet.Result readOnnx(File file) {
        List<Object> key = List.of(file.getAbsolutePath(), file.lastModified(), file.length());
        return LAST_ONNX.computeIfAbsent(key, k -> OnnxResNet.read(file));
    }

    private static InputShape metadataInput(Map<String, String> metadata, File file) {
        String text = metadata.get(INPUT_METADATA);
        if (text == null) {
            return null;
        }
        try {
            return InputShape.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": metadata " + INPUT_METADATA + ": " + e.getMessage());
        }
    }

    /** The stated input, else the file's channels at the shape's design size (layers do not depend on it). */
    private static InputShape buildInput(TorchNames.Shape shape, InputShape stated) {
        if (stated != null) {
            if (stated.channels() != shape.channels()) {
                throw new IllegalArgumentException("input shape " + stated + " has " + stated.channels()
                        + " channels, conv1 takes " + shape.channels());
            }
            return stated;
        }
        int size = shape.architecture().defaultImageSize();
        return new InputShape(shape.channels(), size, size);
    }

    /** Every convolution of the file has the kernel, stride and padding of the registry's network. */
    private static void requireGeometry(ComputationGraph graph, Map<String, OnnxResNet.Geometry> convolutions, File file) {
        convolutions.forEach((name, g) -> {
            ConvolutionLayer conv = (ConvolutionLayer) graph.getLayer(name).conf().getLayer();
            OnnxResNet.Geometry ours = new OnnxResNet.Geometry(conv.getKernelSize()[1], conv.getStride()[1], conv.getPadding()[1]);
            if (!ours.equals(g)) {
                throw new IllegalArgumentException(file + ": convolution " + name + " has kernel " + g.kernel() + ", stride "
                        + g.stride() + ", padding " + g.padding() + "; the registry's network has " + ours.kernel() + ", "
                        + ours.stride() + ", " + ours.padding() + " (torchvision puts a bottleneck's stride on conv2)");
            }
        });
    }

}
