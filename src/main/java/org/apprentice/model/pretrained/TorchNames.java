package org.apprentice.model.pretrained;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.model.BlockType;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelRegistry;
import org.apprentice.model.ResNetArchitecture;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.apprentice.model.StemShape;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A PyTorch ResNet state dict under torchvision's names ({@code conv1.weight}, {@code bn1.running_var},
 * {@code layer2.0.downsample.0.weight}, {@code fc.weight}, ...) as one of the registry's networks: the
 * architecture is read off the names and shapes (stem kernel, blocks per stage, bottleneck or basic, width,
 * classes, input channels), the graph built, and every tensor put into its DL4J parameter. The small-image
 * family uses the same names (three stages). Missing, extra and mis-shaped keys are refused in one line.
 */
public final class TorchNames {
    private static final double MIN_VARIANCE = 1e-12;

    private TorchNames() {
    }

    /** What the names and shapes of a state dict say the network is. */
    public record Shape(ResNetArchitecture architecture, double width, int classes, int channels) {
        public ResNetConfig config(InputShape input) {
            return ResNetConfig.of(architecture.name(), classes, input).withWidthMultiplier(width);
        }
    }

    /** Reads the architecture from the tensors' shapes alone; {@code file} names the source in errors. */
    public static Shape shape(Map<String, long[]> shapes, File file) {
        long[] stem = require(shapes, "conv1.weight", file);
        long[] fc = require(shapes, "fc.weight", file);
        if (stem.length != 4 || fc.length != 2) {
            throw new IllegalArgumentException(file + ": conv1.weight has shape " + Arrays.toString(stem)
                    + " and fc.weight " + Arrays.toString(fc) + "; a ResNet's are [out, in, k, k] and [classes, features]");
        }
        StemShape stemShape = switch ((int) stem[3]) {
            case 7 -> StemShape.IMAGENET;
            case 3 -> StemShape.SMALL_IMAGE;
            default -> throw new IllegalArgumentException(file + ": conv1.weight has a " + stem[2] + "x" + stem[3]
                    + " kernel; a ResNet stem is 7x7 (ImageNet) or 3x3 (small images)");
        };
        BlockType block = shapes.containsKey("layer1.0.conv3.weight") ? BlockType.BOTTLENECK : BlockType.BASIC;
        List<Integer> depths = new ArrayList<>();
        for (int stage = 1; shapes.containsKey("layer" + stage + ".0.conv1.weight"); stage++) {
            int blocks = 0;
            while (shapes.containsKey("layer" + stage + "." + blocks + ".conv1.weight")) {
                blocks++;
            }
            depths.add(blocks);
        }
        ResNetArchitecture architecture = find(stemShape, block, depths, file);
        double width = stem[0] / (double) stemShape.stemWidth();
        return new Shape(architecture, width, (int) fc[0], (int) stem[1]);
    }

    private static ResNetArchitecture find(StemShape shape, BlockType block, List<Integer> depths, File file) {
        int[] wanted = depths.stream().mapToInt(Integer::intValue).toArray();
        for (String name : ModelRegistry.names()) {
            ResNetArchitecture a = ModelRegistry.get(name);
            if (a.shape() == shape && a.block() == block && Arrays.equals(a.stageDepths(), wanted)) {
                return a;
            }
        }
        throw new IllegalArgumentException(file + ": a " + shape + " ResNet with " + block + " blocks "
                + Arrays.toString(wanted) + " per stage is not one of " + String.join(", ", ModelRegistry.names()));
    }

    private static long[] require(Map<String, long[]> shapes, String key, File file) {
        long[] shape = shapes.get(key);
        if (shape == null) {
            throw new IllegalArgumentException(file + " has no key '" + key + "': not a ResNet state dict under "
                    + "torchvision's names (its first keys: " + String.join(", ", shapes.keySet().stream().limit(4).toList()) + ")");
        }
        return shape;
    }

    /** The shapes of a loaded state dict. */
    public static Map<String, long[]> shapesOf(Map<String, INDArray> tensors) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((k, v) -> shapes.put(k, v.shape()));
        return shapes;
    }

    /**
     * The full-precision network the state dict describes, with its weights: every DL4J parameter from its
     * torchvision key. {@code input} is the input shape to build for (channels must match conv1).
     */
    public static ComputationGraph network(Map<String, INDArray> tensors, Shape shape, InputShape input, File file) {
        ComputationGraph graph = ResNetBuilder.build(shape.config(input));
        Map<String, INDArray> remaining = new LinkedHashMap<>(tensors);
        for (Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                TorchKey key = torchKey(layer, name, p.getKey());
                INDArray value = remaining.remove(key.name());
                if (value == null) {
                    throw new IllegalArgumentException(file + " has no key '" + key.name() + "', which "
                            + shape.architecture().name() + " needs (shape " + Arrays.toString(key.torchShape(p.getValue())) + ")");
                }
                p.getValue().assign(key.toDl4j(value, p.getValue(), file));
            }
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                remaining.remove(name + ".num_batches_tracked");
            }
        }
        if (!remaining.isEmpty()) {
            String extra = remaining.keySet().iterator().next();
            throw new IllegalArgumentException(file + " has key '" + extra + "' (shape "
                    + Arrays.toString(remaining.get(extra).shape()) + "), which no layer of " + shape.architecture().name()
                    + " takes" + (remaining.size() > 1 ? " (and " + (remaining.size() - 1) + " more extra keys)" : ""));
        }
        return graph;
    }

    /**
     * The state dict of a full-precision Apprentice ResNet under torchvision's names, laid out as PyTorch's (the fc
     * weight transposed, the batch norm's running variance from DL4J's log10 standard deviation), with each batch
     * norm's {@code num_batches_tracked} (0), so that {@code load_state_dict} takes it strictly; {@link #network}
     * reads it back.
     */
    public static Map<String, INDArray> stateDict(ComputationGraph graph) {
        Map<String, INDArray> dict = new LinkedHashMap<>();
        for (Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                TorchKey key = torchKey(layer, name, p.getKey());
                dict.put(key.name(), key.toTorch(p.getValue()));
            }
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                dict.put(name + ".num_batches_tracked", org.nd4j.linalg.factory.Nd4j.scalar(
                        org.nd4j.linalg.api.buffer.DataType.LONG, 0L));
            }
        }
        return dict;
    }

    /** How one DL4J parameter is named and laid out in PyTorch. */
    private enum Layout { SAME, TRANSPOSED, LOG10_STD }

    private record TorchKey(String name, Layout layout) {
        long[] torchShape(INDArray dl4j) {
            return switch (layout) {
                case TRANSPOSED -> new long[] {dl4j.size(1), dl4j.size(0)};
                case SAME -> dl4j.rank() == 2 && dl4j.size(0) == 1 ? new long[] {dl4j.size(1)} : dl4j.shape();
                case LOG10_STD -> new long[] {dl4j.length()};
            };
        }

        INDArray toTorch(INDArray dl4j) {
            return switch (layout) {
                case TRANSPOSED -> dl4j.transpose().dup('c');
                case SAME -> dl4j.reshape(torchShape(dl4j)).dup('c');
                case LOG10_STD -> Transforms.exp(dl4j.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                        .mul(2 * Math.log(10)), false).reshape(torchShape(dl4j)).dup('c'); // variance = (10^x)^2
            };
        }

        INDArray toDl4j(INDArray torch, INDArray dl4j, File file) {
            long[] expected = torchShape(dl4j);
            if (!Arrays.equals(torch.shape(), expected)) {
                throw new IllegalArgumentException(file + ": key '" + name + "' has shape " + Arrays.toString(torch.shape())
                        + ", the network needs " + Arrays.toString(expected));
            }
            return switch (layout) {
                case TRANSPOSED -> torch.transpose();
                case SAME -> torch.reshape(dl4j.shape());
                case LOG10_STD -> log10Std(torch).reshape(dl4j.shape());
            };
        }
    }

    /**
     * PyTorch's running variance as the log10 standard deviation DL4J's batch norm stores. DL4J's inference divides
     * by sqrt(std² + eps), so std² is the variance itself (not variance + eps: that would count eps twice; measured
     * against PyTorch on resnet50). A zero variance is floored at 1e-12, which moves sqrt(var + eps) by 5e-8.
     */
    static INDArray log10Std(INDArray variance) {
        return Transforms.log(Transforms.max(variance, MIN_VARIANCE, true), 10.0, false).muli(0.5);
    }

    /** DL4J's name for a parameter mapped to torchvision's: conv W, batch norm gamma/beta/mean/var, fc W/b. */
    private static TorchKey torchKey(Layer layer, String layerName, String param) {
        boolean dense = layer.conf().getLayer() instanceof DenseLayer;
        boolean batchNorm = layer.conf().getLayer() instanceof BatchNormalization;
        String suffix = switch (param) {
            case "W" -> "weight";
            case "b" -> "bias";
            case "gamma" -> "weight";
            case "beta" -> "bias";
            case "mean" -> "running_mean";
            case "var", "log10stdev" -> "running_var";
            default -> throw new IllegalStateException("no PyTorch name for parameter " + param + " of " + layerName);
        };
        Layout layout = dense && param.equals("W") ? Layout.TRANSPOSED
                : batchNorm && param.equals("log10stdev") ? Layout.LOG10_STD : Layout.SAME;
        return new TorchKey(layerName + "." + suffix, layout);
    }
}
