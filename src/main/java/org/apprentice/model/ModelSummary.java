package org.apprentice.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.ActivationQuantization;
import org.apprentice.quant.WeightMethod;

/** A printable table of a ResNet: its layers grouped by stage, each stage's output shape, parameter counts. */
public final class ModelSummary {
    private ModelSummary() {
    }

    /** The stage a layer belongs to: "stem", "layer1".."layer4", or "head". */
    public static String stageOf(String layerName) {
        if (layerName.startsWith("layer")) {
            return layerName.substring(0, layerName.indexOf('.'));
        }
        return switch (layerName) {
            case "avgpool", ResNetBuilder.LOGITS, ResNetBuilder.OUTPUT -> "head";
            default -> "stem";
        };
    }

    public static String render(ResNetConfig config, ComputationGraph net) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        InputShape in = config.input();
        Map<String, InputType> types = conf.getLayerActivationTypes(
                InputType.convolutional(in.height(), in.width(), in.channels()));
        StringBuilder out = new StringBuilder();
        ResNetArchitecture arch = config.architecture();
        out.append(String.format("%s: %s, %s blocks %s, input %s, %d classes, width x%s, precision %s%n",
                arch.name(), arch.shape(), arch.block(), java.util.Arrays.toString(arch.stageDepths()), in,
                config.numClasses(), trim(config.widthMultiplier()), config.precision()));
        out.append(String.format("%n%-24s %-18s %-9s %-12s %12s%n", "layer", "type", "precision", "output", "trainable"));

        Map<String, long[]> stageParams = new LinkedHashMap<>();
        Map<String, String> stageOutput = new LinkedHashMap<>();
        String currentStage = null;
        List<String> order = conf.getTopologicalOrderStr();
        for (String name : order) {
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue; // the network input
            }
            String stage = stageOf(name);
            if (!stage.equals(currentStage)) {
                out.append(String.format("-- %s%n", stage));
                currentStage = stage;
            }
            long params = net.getLayer(name) == null ? 0 : Parameters.trainable(net.getLayer(name));
            String shape = shape(types.get(name));
            out.append(String.format("%-24s %-18s %-9s %-12s %12s%n", name, describe(vertex), precision(vertex),
                    shape, params == 0 ? "" : String.format("%,d", params)));
            stageParams.computeIfAbsent(stage, s -> new long[1])[0] += params;
            if (!ResNetBuilder.OUTPUT.equals(name)) {
                stageOutput.put(stage, shape);
            }
        }
        out.append(String.format("%n%-10s %-12s %12s%n", "stage", "output", "trainable"));
        for (Map.Entry<String, long[]> e : stageParams.entrySet()) {
            out.append(String.format("%-10s %-12s %,12d%n", e.getKey(), stageOutput.get(e.getKey()), e.getValue()[0]));
        }
        long trainable = Parameters.trainable(net);
        out.append(String.format("%nTrainable parameters: %,d (plus %,d batch-norm running statistics)%n",
                trainable, net.numParams() - trainable));
        ModelSize size = ModelSize.of(net);
        out.append(String.format("Size: %s at FP32, %s at this precision (%.1fx smaller)%n",
                ModelSize.megabytes(size.fp32Bytes()), ModelSize.megabytes(size.lowPrecisionBytes()),
                size.compression()));
        return out.toString();
    }

    /** "w2" / "w4" / "fp32" for weighted layers, "a4" / "fp32" for activations, blank otherwise. */
    private static String precision(GraphVertex vertex) {
        if (!(vertex instanceof LayerVertex lv)) {
            return "";
        }
        Layer layer = lv.getLayerConf().getLayer();
        if (layer instanceof ConvolutionLayer || layer instanceof DenseLayer) {
            WeightQuantization q = WeightQuantization.of(layer);
            return q == null ? "fp32" : "w" + q.bits() + (q.method() != WeightMethod.FIXED ? " " + q.method().flag() : "");
        }
        ActivationQuantization a = ActivationQuantization.of(layer);
        if (a != null) {
            return "a" + a.bits() + (a.method() != ActivationMethod.FIXED ? " " + a.method().flag() : "");
        }
        if (layer instanceof ActivationLayer) {
            return "fp32";
        }
        return "";
    }

    private static String describe(GraphVertex vertex) {
        if (vertex instanceof ElementWiseVertex) {
            return "add";
        }
        if (!(vertex instanceof LayerVertex)) {
            return vertex.getClass().getSimpleName();
        }
        Layer layer = ((LayerVertex) vertex).getLayerConf().getLayer();
        if (layer instanceof ConvolutionLayer c) {
            return String.format("conv %dx%d/%d", c.getKernelSize()[0], c.getKernelSize()[1], c.getStride()[0]);
        }
        if (layer instanceof SubsamplingLayer s) {
            return String.format("maxpool %dx%d/%d", s.getKernelSize()[0], s.getKernelSize()[1], s.getStride()[0]);
        }
        if (layer instanceof BatchNormalization) {
            return "batchnorm";
        }
        if (ActivationQuantization.of(layer) != null) {
            return ActivationQuantization.of(layer).operation();
        }
        if (layer instanceof ActivationLayer a) {
            return a.getActivationFn().toString().toLowerCase();
        }
        if (layer instanceof GlobalPoolingLayer) {
            return "global avgpool";
        }
        if (layer instanceof DenseLayer) {
            return "dense (logits)";
        }
        if (layer instanceof LossLayer l) {
            return "loss " + l.getLossFn().getClass().getSimpleName().replace("Loss", "").toLowerCase();
        }
        return layer.getClass().getSimpleName();
    }

    private static String shape(InputType type) {
        if (type instanceof InputType.InputTypeConvolutional c) {
            return c.getChannels() + "x" + c.getHeight() + "x" + c.getWidth();
        }
        if (type instanceof InputType.InputTypeFeedForward f) {
            return f.getSize() > 0 ? String.valueOf(f.getSize()) : "";
        }
        return String.valueOf(type);
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
