package org.apprentice.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.nn.LayerKernels;
import org.apprentice.quant.ActivationQuantization;
import org.apprentice.quant.WeightQuantization;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.shade.jackson.annotation.JsonInclude;

/**
 * Forward + backward of each kind of layer a network has, at the shapes it has them, one layer at a time: with
 * DL4J's stock layers and with this project's ({@link LayerKernels}), and (through {@code bin/torch-layer-bench.py})
 * PyTorch's same layer in the same run. It says which layers cost what, and shows each fix.
 */
public final class LayerBenchmark {
    private static final String WORKSPACE = "APPRENTICE_LAYER_BENCH";
    private static final WorkspaceConfiguration WORKSPACE_CONF = WorkspaceConfiguration.builder()
            .initialSize(512L << 20).policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE)
            .policySpill(SpillPolicy.REALLOCATE).build();

    /** One layer of a network: what it computes, at which input shape, and how often the network has it. */
    public record LayerCase(String kind, Layer layer, int channels, int height, int width, int count) {
        /** A quantized convolution ({@code conv METHOD}) or an activation quantizer ({@code act METHOD}). */
        public boolean quantized() {
            return kind.startsWith("conv ") || kind.startsWith("act ");
        }

        /** What it is and at which shape, e.g. {@code conv 3x3 16->16 /1 at 32x32}. */
        public String label() {
            String shape = channels + "x" + height + "x" + width;
            if (layer instanceof ConvolutionLayer conv) {
                return kind + " " + conv.getKernelSize()[0] + "x" + conv.getKernelSize()[1] + " " + channels + "->"
                        + conv.getNOut() + " /" + conv.getStride()[0] + " at " + height + "x" + width;
            }
            return kind + " " + shape;
        }

        /** The same layer as {@code bin/torch-layer-bench.py} reads it. */
        public TorchLayer torchSpec(int batch) {
            if (layer instanceof ConvolutionLayer conv) {
                return new TorchLayer(kind, batch, channels, height, width, (int) conv.getNOut(), conv.getKernelSize()[0],
                        conv.getStride()[0], conv.getPadding()[0]);
            }
            if (layer instanceof SubsamplingLayer pool) {
                return new TorchLayer(kind, batch, channels, height, width, null, pool.getKernelSize()[0],
                        pool.getStride()[0], pool.getPadding()[0]);
            }
            return new TorchLayer(kind, batch, channels, height, width, null, null, null, null);
        }
    }

    /**
     * One layer for {@code bin/torch-layer-bench.py}: its kind, the input's batch, channels, height and width, and for
     * convolutions and pooling their output channels, kernel, stride and padding (absent otherwise).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TorchLayer(String kind, int n, int c, int h, int w, Integer out, Integer k, Integer stride,
                             Integer pad) {
    }

    /** Median seconds of one forward + backward. */
    public record Timing(LayerCase layerCase, double dl4jSeconds, double fastSeconds) {
    }

    private LayerBenchmark() {
    }

    /**
     * The distinct layers of {@code conf} (by kind and shape, counted), in network order: convolutions, batch
     * norms, ReLUs, residual additions, pooling, and in a low-precision network its quantized convolutions
     * ({@code conv} and the weight quantizer's class) and activation quantizers ({@code act} and its class).
     */
    public static List<LayerCase> cases(ComputationGraphConfiguration conf, InputType input) {
        Map<String, InputType> types = conf.getLayerActivationTypes(input);
        Map<String, LayerCase> found = new LinkedHashMap<>();
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue;
            }
            String kind = kindOf(vertex);
            String source = conf.getVertexInputs().get(name).get(0);
            InputType type = conf.getNetworkInputs().contains(source) ? input : types.get(source);
            if (kind == null || !(type instanceof InputType.InputTypeConvolutional in)) {
                continue;
            }
            Layer layer = vertex instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
            LayerCase c = new LayerCase(kind, layer, (int) in.getChannels(), (int) in.getHeight(),
                    (int) in.getWidth(), 1);
            found.merge(c.label(), c, (a, b) -> new LayerCase(a.kind(), a.layer(), a.channels(), a.height(),
                    a.width(), a.count() + 1));
        }
        return new ArrayList<>(found.values());
    }

    /**
     * conv, batchnorm, relu, add, maxpool, avgpool; a quantized layer as "conv " or "act " and its method as the
     * quantization protocol names it (e.g. {@code conv fixed}, {@code act lsq}); null for the rest.
     */
    private static String kindOf(GraphVertex vertex) {
        if (vertex instanceof ElementWiseVertex) {
            return "add";
        }
        if (!(vertex instanceof LayerVertex lv)) {
            return null;
        }
        Layer layer = lv.getLayerConf().getLayer();
        WeightQuantization weights = WeightQuantization.of(layer);
        ActivationQuantization activations = ActivationQuantization.of(layer);
        if (layer instanceof ConvolutionLayer) {
            return weights == null ? "conv" : "conv " + weights.method().flag();
        }
        if (activations != null) {
            return "act " + activations.method().flag();
        }
        if (layer instanceof BatchNormalization) {
            return "batchnorm";
        }
        if (layer instanceof ActivationLayer act && act.getActivationFn() instanceof ActivationReLU) {
            return "relu";
        }
        if (layer instanceof SubsamplingLayer) {
            return "maxpool";
        }
        return layer instanceof GlobalPoolingLayer ? "avgpool" : null;
    }

    /**
     * Times {@code c} with this project's layer and, for the convolution, batch norm and ReLU, also with DL4J's
     * stock layer (NaN for the others: they are the network's own layer, or DL4J's with no alternative).
     */
    public static Timing time(LayerCase c, int batch, int warmup, int steps) {
        double fast = seconds(layer(c, LayerKernels.FAST), c, batch, warmup, steps);
        boolean twin = List.of("conv", "batchnorm", "relu").contains(c.kind());
        double dl4j = twin ? seconds(layer(c, LayerKernels.DL4J), c, batch, warmup, steps) : Double.NaN;
        return new Timing(c, dl4j, fast);
    }

    /** The case's layer as {@code kernels} builds it; null for the residual addition (a vertex). */
    private static Layer layer(LayerCase c, LayerKernels kernels) {
        return switch (c.kind()) {
            case "conv" -> {
                ConvolutionLayer conv = (ConvolutionLayer) c.layer();
                yield kernels.convolution(new ConvolutionLayer.Builder(conv.getKernelSize()).stride(conv.getStride())
                        .padding(conv.getPadding()).nOut(conv.getNOut()).hasBias(false)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY));
            }
            case "batchnorm" -> kernels.batchNorm(1e-5, 0.9);
            case "relu" -> kernels.relu();
            case "add" -> null;
            default -> c.layer().clone();
        };
    }

    private static double seconds(Layer layer, LayerCase c, int batch, int warmup, int steps) {
        boolean add = "add".equals(c.kind());
        InputType type = InputType.convolutional(c.height(), c.width(), c.channels());
        var graph = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).updater(new NoOp())
                .convolutionMode(ConvolutionMode.Truncate).graphBuilder();
        if (add) {
            graph.addInputs("a", "b").setInputTypes(type, type)
                    .addVertex("layer", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b");
        } else {
            graph.addInputs("a").setInputTypes(type).addLayer("layer", layer, "a");
        }
        ComputationGraph net = new ComputationGraph(graph.setOutputs("layer").build());
        net.init();
        net.initGradientsView();
        org.deeplearning4j.nn.graph.vertex.GraphVertex vertex = net.getVertex("layer");
        Nd4j.getRandom().setSeed(7);
        INDArray a = Nd4j.randn(DataType.FLOAT, batch, c.channels(), c.height(), c.width());
        INDArray b = Nd4j.randn(DataType.FLOAT, batch, c.channels(), c.height(), c.width());
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.builder().defaultWorkspace(WORKSPACE, WORKSPACE_CONF).build();
        INDArray epsilon = null;
        double[] seconds = new double[steps];
        for (int i = -warmup; i < steps; i++) {
            long start = System.nanoTime();
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE_CONF, WORKSPACE)) {
                vertex.setInput(0, a, mgr);
                if (add) {
                    vertex.setInput(1, b, mgr);
                }
                INDArray out = vertex.doForward(true, mgr);
                if (epsilon == null) {
                    try (MemoryWorkspace none = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                        epsilon = Nd4j.randn(DataType.FLOAT, out.shape());
                    }
                }
                vertex.setEpsilon(epsilon);
                vertex.doBackward(false, mgr);
                if (vertex.hasLayer()) {
                    vertex.getLayer().clearNoiseWeightParams(); // quantized weights cached by this pass's forward
                }
            }
            if (i >= 0) {
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
        }
        Arrays.sort(seconds);
        return seconds[steps / 2];
    }
}
